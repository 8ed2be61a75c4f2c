//! A requested page size, checked once against its bounds: the one type behind every list's
//! `limit` (the execution history's, the jobs', the sources').

use crate::Error;

/// A page size between 1 and `MAX`, `DEFAULT` when none is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize<const MAX: u32, const DEFAULT: u32>(u32);

impl<const MAX: u32, const DEFAULT: u32> PageSize<MAX, DEFAULT> {
    /// The largest page.
    pub const MAX: u32 = MAX;
    /// The page size when none is asked for.
    pub const DEFAULT: Self = Self(DEFAULT);

    /// Checks a requested page size; the error names `limit` and the bounds.
    pub fn new(limit: i64) -> Result<Self, Error> {
        match u32::try_from(limit) {
            Ok(n) if (1..=MAX).contains(&n) => Ok(Self(n)),
            _ => Err(Error::invalid(
                "limit",
                format!("limit must be between 1 and {MAX}, got {limit}"),
            )),
        }
    }

    /// The size.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl<const MAX: u32, const DEFAULT: u32> Default for PageSize<MAX, DEFAULT> {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A page of the execution history: 1 to 100 runs, 50 when none is asked for.
pub type PageLimit = PageSize<100, 50>;

/// A page of jobs or sources: 1 to 500, 100 when none is asked for (so a service with up to
/// that many lists them all by default).
pub type JobPageLimit = PageSize<500, 100>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_against_their_own_bounds() {
        assert_eq!(PageLimit::default().get(), 50);
        assert_eq!(JobPageLimit::default().get(), 100);
        assert_eq!(PageLimit::new(100).map(PageLimit::get), Ok(100));
        assert_eq!(JobPageLimit::new(500).map(JobPageLimit::get), Ok(500));
        for (bad, max) in [(0, 100), (101, 100), (-1, 100), (i64::MAX, 100)] {
            let e = PageLimit::new(bad).unwrap_err().to_string();
            assert!(
                e.contains(&format!("between 1 and {max}, got {bad}")),
                "{e}"
            );
        }
        let e = JobPageLimit::new(501).unwrap_err().to_string();
        assert!(e.contains("between 1 and 500, got 501"), "{e}");
    }
}
