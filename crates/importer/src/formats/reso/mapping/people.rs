//! The listing's attribution: its agent and office (MLS display rules require it).

use propimport_domain::Contact;

use super::soft;
use crate::formats::reso::values::{Record, text};

/// The first readable of `names`.
fn first(r: &Record, names: &[&str]) -> Option<String> {
    names.iter().find_map(|name| soft(text(r, name)))
}

/// `ListAgentFullName` (else first and last name), `ListAgentMlsId` (else `ListAgentKey`),
/// `ListAgentEmail`, `ListAgentDirectPhone` (else preferred, then mobile, then office
/// phone); `None` when nothing is given.
pub(super) fn agent(r: &Record) -> Option<Contact> {
    let name = first(r, &["ListAgentFullName"]).or_else(|| {
        let parts: Vec<String> = ["ListAgentFirstName", "ListAgentLastName"]
            .iter()
            .filter_map(|name| soft(text(r, name)))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    });
    let contact = Contact {
        id: first(r, &["ListAgentMlsId", "ListAgentKey"]),
        name,
        email: first(r, &["ListAgentEmail"]),
        phone: first(
            r,
            &[
                "ListAgentDirectPhone",
                "ListAgentPreferredPhone",
                "ListAgentMobilePhone",
                "ListAgentOfficePhone",
            ],
        ),
    };
    (!contact.is_empty()).then_some(contact)
}

/// `ListOfficeName`, `ListOfficeMlsId` (else `ListOfficeKey`), `ListOfficeEmail`,
/// `ListOfficePhone`; `None` when nothing is given.
pub(super) fn office(r: &Record) -> Option<Contact> {
    let contact = Contact {
        id: first(r, &["ListOfficeMlsId", "ListOfficeKey"]),
        name: first(r, &["ListOfficeName"]),
        email: first(r, &["ListOfficeEmail"]),
        phone: first(r, &["ListOfficePhone"]),
    };
    (!contact.is_empty()).then_some(contact)
}
