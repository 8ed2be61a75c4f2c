//! What a REAXML listing costs: the transaction and price from `<price>`, `<rent>` (rentals),
//! `<commercialRent>` (commercial leases) and `<soldDetails>`, and the charges (`<bond>`,
//! `<councilRates>`).
//!
//! Amounts are decimal numbers in major units; a leading `$`, spaces and thousands commas
//! (`1,250,000`) are accepted. A price or rent that cannot be read fails the listing at `map`;
//! an optional amount that cannot be read (a bond written as `4 weeks`, council rates as free
//! text) is left out.

use propimport_domain::{Charge, ChargeKind, Currency, Money, Period, Price, Transaction};

use super::values::{Failure, Mapped, Status, map_err};
use crate::formats::xml::tree::Node;

/// The transaction, the price and the asking price a sold listing had.
pub(super) struct Priced {
    pub transaction: Transaction,
    pub price: Price,
    pub original_price: Option<Money>,
}

/// Reads an amount in major units (`$1,250,000`, `350.50`).
pub(super) fn amount(text: &str, currency: Currency) -> Option<Money> {
    let t = text.trim();
    let t = t.strip_prefix("AUD").unwrap_or(t).trim_start();
    let t = t.strip_prefix('$').unwrap_or(t).trim();
    if t.contains(char::is_whitespace) {
        let joined: String = t.split_whitespace().collect();
        return Money::parse_major(&joined, currency).ok();
    }
    Money::parse_major(t, currency).ok()
}

/// The amount of `node`, failing the listing at `map` when it is not one.
fn required(node: Node<'_>, path: &str, currency: Currency) -> Mapped<Option<Money>> {
    let Some(text) = node.value() else {
        return Ok(None);
    };
    amount(text, currency)
        .map(Some)
        .ok_or_else(|| map_err(format!("{path}: {text:?} is not an amount")))
}

/// Whether a `display` attribute lets the amount be shown (`yes` when absent).
pub(super) fn displayed(node: Node<'_>) -> bool {
    !node
        .attr("display")
        .is_some_and(|d| matches!(d.to_ascii_lowercase().as_str(), "no" | "0" | "false"))
}

/// The price of `amount` when shown, on request otherwise.
fn shown(node: Node<'_>, amount: Option<Money>) -> Price {
    match amount {
        Some(amount) if displayed(node) => Price::Amount { amount },
        _ => Price::OnRequest,
    }
}

/// The transaction and price of a listing of `kind` (lower case) at `status`.
pub(super) fn priced(
    l: Node<'_>,
    kind: &str,
    status: Status,
    currency: Currency,
) -> Mapped<Priced> {
    let lease = match kind {
        "rental" | "holidayrental" => true,
        "commercial" | "commercialland" | "business" => {
            let declared = l
                .child("commerciallistingtype")
                .and_then(|t| t.attr("value"));
            match declared.map(str::to_ascii_lowercase).as_deref() {
                Some("lease") => true,
                Some("sale" | "both") => false,
                Some(other) => {
                    return Err(map_err(format!(
                        "commercialListingType: {other:?} is not sale, lease or both"
                    )));
                }
                None => l.value_of("price").is_none() && l.child("commercialrent").is_some(),
            }
        }
        _ => false,
    };
    if lease {
        rent(l, kind, status, currency)
    } else {
        sale(l, status, currency)
    }
}

fn sale(l: Node<'_>, status: Status, currency: Currency) -> Mapped<Priced> {
    let asking = match l.child("price") {
        Some(node) => required(node, "price", currency)?.map(|m| (node, m)),
        None => None,
    };
    let asking_shown = asking.filter(|(node, _)| displayed(*node)).map(|(_, m)| m);
    if status == Status::Sold
        && let Some(sold) = l.child("solddetails")
    {
        let node = sold.child("soldprice").or_else(|| sold.child("price"));
        if let Some(node) = node
            && let Some(amount) = required(node, "soldDetails/soldPrice", currency)?
        {
            return Ok(Priced {
                transaction: Transaction::Sale,
                price: shown(node, Some(amount)),
                original_price: asking_shown,
            });
        }
    }
    let price = match asking {
        Some((node, amount)) => shown(node, Some(amount)),
        None if status == Status::Current => {
            return Err(map_err("missing required field price".into()));
        }
        None => Price::OnRequest,
    };
    Ok(Priced {
        transaction: Transaction::Sale,
        price,
        original_price: None,
    })
}

/// How often a rent is due, from its `period` attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RentPeriod {
    Week,
    Month,
    Year,
}

fn rent_period(text: Option<&str>, default: RentPeriod) -> Option<RentPeriod> {
    let Some(text) = text else {
        return Some(default);
    };
    match text.to_ascii_lowercase().as_str() {
        "week" | "weekly" | "pw" => Some(RentPeriod::Week),
        "month" | "monthly" | "pcm" => Some(RentPeriod::Month),
        "annual" | "annually" | "year" | "yearly" | "pa" => Some(RentPeriod::Year),
        _ => None,
    }
}

/// A rental's or commercial lease's rent: the weekly `<rent>` first (the specification wants
/// one), else a monthly one; a commercial `<commercialRent>` is yearly unless it says
/// otherwise and a yearly rent is given per month (a twelfth, to the cent).
fn rent(l: Node<'_>, kind: &str, status: Status, currency: Currency) -> Mapped<Priced> {
    let (name, default) = if l.child("rent").is_some() || !kind.starts_with("commercial") {
        ("rent", RentPeriod::Week)
    } else {
        ("commercialrent", RentPeriod::Year)
    };
    let path = if name == "rent" {
        "rent"
    } else {
        "commercialRent"
    };
    let mut best: Option<(RentPeriod, Node<'_>)> = None;
    let mut unknown = None;
    for node in l.all(name) {
        match rent_period(node.attr("period"), default) {
            Some(period) => {
                let better = best.is_none_or(|(b, _)| period == RentPeriod::Week && b != period);
                if better {
                    best = Some((period, node));
                }
            }
            None => unknown = unknown.or(node.attr("period")),
        }
    }
    let Some((period, node)) = best else {
        if let Some(period) = unknown {
            return Err(map_err(format!(
                "{path}: the period {period:?} is not week, month or annual"
            )));
        }
        if status != Status::Current {
            return Ok(Priced {
                transaction: Transaction::RentWeekly,
                price: Price::OnRequest,
                original_price: None,
            });
        }
        return Err(map_err(format!("missing required field {path}")));
    };
    let amount = required(node, path, currency)?;
    let (transaction, amount) = match period {
        RentPeriod::Week => (Transaction::RentWeekly, amount),
        RentPeriod::Month => (Transaction::RentMonthly, amount),
        RentPeriod::Year => (Transaction::RentMonthly, amount.map(monthly).transpose()?),
    };
    if amount.is_none() && status == Status::Current {
        return Err(map_err(format!("{path}: no amount")));
    }
    Ok(Priced {
        transaction,
        price: shown(node, amount),
        original_price: None,
    })
}

/// A twelfth of a yearly amount, rounded to the cent.
fn monthly(yearly: Money) -> Mapped<Money> {
    let minor = (yearly.minor() + 6) / 12;
    Money::from_minor(minor, yearly.currency()).map_err(|e| Failure::rejected(&e))
}

/// The bond (a deposit, paid once) and council rates (a yearly tax), when they are amounts.
pub(super) fn charges(l: Node<'_>, currency: Currency) -> Vec<Charge> {
    let mut charges = Vec::new();
    let mut add = |name: &str, kind: ChargeKind, period: Period, label: &str| {
        if let Some(amount) = l.value_of(name).and_then(|t| amount(t, currency)) {
            charges.push(Charge {
                kind,
                amount,
                period,
                label: Some(label.to_owned()),
                year: None,
            });
        }
    };
    add("bond", ChargeKind::Deposit, Period::Once, "bond");
    add(
        "councilrates",
        ChargeKind::Tax,
        Period::Yearly,
        "council rates",
    );
    charges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_amounts_as_agents_write_them() {
        let aud = Currency::parse("AUD").unwrap();
        let minor = |t: &str| amount(t, aud).map(|m| m.minor());
        assert_eq!(minor("500000"), Some(50_000_000));
        assert_eq!(minor(" $1,250,000 "), Some(125_000_000));
        assert_eq!(minor("$ 350.50"), Some(35_050));
        assert_eq!(minor("about 500k"), None);
        assert_eq!(minor("-5"), None);
        let yearly = Money::from_minor(1_000_000, aud).unwrap();
        assert_eq!(monthly(yearly).ok().map(|m| m.minor()), Some(83_333));
    }
}
