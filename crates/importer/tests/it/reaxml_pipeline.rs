//! A REAXML import through the pipeline into the in-memory store: a file is not the complete
//! list, so a listing missing from the next file stays and one sent as withdrawn is withdrawn.

use std::io::Write as _;
use std::sync::Arc;

use propimport_domain::testing::InMemoryListingStore;
use propimport_domain::{CancelToken, JobName, ListingStatus, ListingStore, ProgressHandle};
use propimport_importer::{FeedFormat, Importer, Location, SourceConfig};

use crate::reaxml::id;

/// A REAXML file is not the complete list: a listing missing from the next file stays, one
/// sent as withdrawn is withdrawn.
#[tokio::test]
async fn withdrawn_withdraws_and_absence_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("feed.xml");
    let write = |body: &str| {
        let mut f = std::fs::File::create(&path).unwrap();
        f.write_all(body.as_bytes()).unwrap();
    };
    let name = JobName::parse("rea").unwrap();
    let store = Arc::new(InMemoryListingStore::new());
    let config = SourceConfig::new(
        name.clone(),
        FeedFormat::parse("reaxml").unwrap(),
        Location::File(path.clone()),
    );
    let importer = Importer::builder(config, store.clone()).build().unwrap();
    let listing = |unique: &str, status: &str| {
        format!(
            "<residential modTime=\"2024-05-01-10:00:00\" status=\"{status}\"><agentID>A</agentID>\
             <uniqueID>{unique}</uniqueID><price>500000</price></residential>"
        )
    };
    let run = || async {
        importer
            .run(&CancelToken::new(), &ProgressHandle::new())
            .await
            .unwrap()
    };
    write(&format!(
        "<propertyList>{}{}{}</propertyList>",
        listing("1", "current"),
        listing("2", "current"),
        listing("3", "current")
    ));
    assert_eq!(run().await.inserted, 3);

    write(&format!(
        "<propertyList>{}</propertyList>",
        listing("2", "withdrawn")
    ));
    let second = run().await;
    assert_eq!(second.withdrawn, 1);
    let status = |unique: &'static str| {
        let store = store.clone();
        let name = name.clone();
        async move {
            let found = store.get_listing(&name, &id(&format!("A:{unique}"))).await;
            found.unwrap().unwrap().status
        }
    };
    assert_eq!(
        status("1").await,
        ListingStatus::Active,
        "absent is not gone"
    );
    assert_eq!(status("2").await, ListingStatus::Withdrawn);
    assert_eq!(status("3").await, ListingStatus::Active);
    assert_eq!(store.count_active(&name).await.unwrap(), 2);
}
