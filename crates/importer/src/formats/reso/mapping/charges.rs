//! Taxes and association fees, each with its period.

use propimport_domain::{Charge, ChargeKind, Currency, Money, Period};

use super::soft;
use crate::formats::reso::values::{Record, amount_text, letters, text, whole};

/// `TaxAnnualAmount` (a yearly tax, with `TaxYear`), and `AssociationFee` and
/// `AssociationFee2` with their frequencies and association names. A fee without a
/// readable frequency, an unreadable amount and a zero amount are left out.
pub(super) fn charges(r: &Record, currency: Currency) -> Vec<Charge> {
    let mut charges = Vec::new();
    if let Some(amount) = money(r, "TaxAnnualAmount", currency) {
        charges.push(Charge {
            kind: ChargeKind::Tax,
            amount,
            period: Period::Yearly,
            label: None,
            year: soft(whole::<u16>(r, "TaxYear")).filter(|y| *y > 0),
        });
    }
    for (fee, frequency, name) in [
        (
            "AssociationFee",
            "AssociationFeeFrequency",
            "AssociationName",
        ),
        (
            "AssociationFee2",
            "AssociationFee2Frequency",
            "AssociationName2",
        ),
    ] {
        let Some(amount) = money(r, fee, currency) else {
            continue;
        };
        let Some(period) = soft(text(r, frequency)).and_then(|f| period(&f)) else {
            tracing::debug!(field = fee, "RESO fee without a known frequency left out");
            continue;
        };
        charges.push(Charge {
            kind: ChargeKind::Association,
            amount,
            period,
            label: soft(text(r, name)),
            year: None,
        });
    }
    charges
}

/// A positive amount of `name`.
fn money(r: &Record, name: &str, currency: Currency) -> Option<Money> {
    let text = soft(amount_text(r, name))?;
    Money::parse_major(&text, currency)
        .ok()
        .filter(|m| m.minor() > 0)
}

/// A RESO `FeeFrequency` as a period (`Bi-Monthly`, `Daily` and others have none).
fn period(frequency: &str) -> Option<Period> {
    Some(match letters(frequency).as_str() {
        "weekly" => Period::Weekly,
        "monthly" => Period::Monthly,
        "quarterly" => Period::Quarterly,
        "semiannually" | "semiannual" | "halfyearly" => Period::HalfYearly,
        "annually" | "annual" | "yearly" => Period::Yearly,
        "onetime" | "once" => Period::Once,
        _ => return None,
    })
}
