//! Price and transaction: sale, or a lease per month or week (yearly rents are divided by 12);
//! the original price.

use propimport_domain::{Currency, Money, Price, Transaction};

use super::{Result, field, rejected, soft, unreadable};
use crate::formats::reso::values::{Record, amount_text, letters, text};

/// The record's currency: `CurrencyCode`, else `default_currency`.
pub(super) fn currency(r: &Record, default_currency: Currency) -> Result<Currency> {
    match field(text(r, "CurrencyCode"))? {
        Some(code) => Currency::parse(&code).map_err(|e| rejected("CurrencyCode", &e)),
        None => Ok(default_currency),
    }
}

/// `OriginalListPrice`, when it differs from the asking price (a price change); an
/// unreadable one is left out.
pub(super) fn original(r: &Record, price: &Price, currency: Currency) -> Option<Money> {
    let text = soft(amount_text(r, "OriginalListPrice"))?;
    let original = Money::parse_major(&text, currency).ok()?;
    let changed = match price {
        Price::Amount { amount } => *amount != original,
        _ => true,
    };
    (changed && original.minor() > 0).then_some(original)
}

/// The transaction and price of a record (see the rules of the parent module).
pub(super) fn price(r: &Record, default_currency: Currency) -> Result<(Transaction, Price)> {
    let currency = currency(r, default_currency)?;
    let list_price = field(amount_text(r, "ListPrice"))?;
    let lease_amount = field(amount_text(r, "LeaseAmount"))?;
    let property_type = field(text(r, "PropertyType"))?.unwrap_or_default();
    let lease = letters(&property_type).ends_with("lease")
        || (list_price.is_none() && lease_amount.is_some());
    if !lease {
        return Ok((
            Transaction::Sale,
            amount(list_price, "ListPrice", currency)?,
        ));
    }
    let (name, given_amount) = match list_price {
        Some(list_price) => ("ListPrice", Some(list_price)),
        None => ("LeaseAmount", lease_amount),
    };
    let price = amount(given_amount, name, currency)?;
    let frequency = field(text(r, "LeaseAmountFrequency"))?;
    match frequency.as_deref().map(letters).as_deref() {
        None | Some("monthly" | "month" | "permonth") => Ok((Transaction::RentMonthly, price)),
        Some("weekly" | "week" | "perweek") => Ok((Transaction::RentWeekly, price)),
        Some("annually" | "annual" | "yearly" | "year" | "peryear") => {
            Ok((Transaction::RentMonthly, per_month(price, currency)?))
        }
        Some(_) => Err(unreadable(format!(
            "LeaseAmountFrequency: {:?} is not Monthly, Weekly or Annually",
            frequency.unwrap_or_default()
        ))),
    }
}

/// An amount in `currency`, or "on request" when none is given.
fn amount(text: Option<String>, name: &str, currency: Currency) -> Result<Price> {
    match text {
        None => Ok(Price::OnRequest),
        Some(text) => Money::parse_major(&text, currency)
            .map(|amount| Price::Amount { amount })
            .map_err(|e| rejected(name, &e)),
    }
}

/// A yearly rent as a monthly one, rounded to the minor unit.
fn per_month(price: Price, currency: Currency) -> Result<Price> {
    let Price::Amount { amount } = price else {
        return Ok(price);
    };
    let yearly = amount.minor();
    let monthly = Money::from_minor(yearly / 12 + i64::from(yearly % 12 >= 6), currency)
        .map_err(|e| rejected("LeaseAmount", &e))?;
    Ok(Price::Amount { amount: monthly })
}
