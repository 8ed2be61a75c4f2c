//! The image download limits: `IMAGE_CONCURRENCY`, `IMAGE_CONCURRENCY_PER_HOST` and a source's
//! own `image_concurrency`, `image_concurrency_per_host`, each bad value named.

use super::config;
use crate::config::ImageConcurrency;

/// A sources file with one source `a` with these extra lines; its path.
fn sources_file(dir: &tempfile::TempDir, extra: &str) -> String {
    let file = dir.path().join("sources.toml");
    std::fs::write(
        &file,
        format!("[[sources]]\nname = \"a\"\nurl = \"https://feeds.example/a.xml\"\n{extra}\n[[sources]]\nname = \"b\"\nurl = \"https://feeds.example/b.xml\"\n"),
    )
    .unwrap();
    file.display().to_string()
}

#[test]
fn image_limits_default_and_read_from_variables() {
    let c = config(&[]).unwrap();
    assert_eq!(
        c.image_concurrency,
        ImageConcurrency {
            overall: 16,
            per_host: 8
        }
    );
    let c = config(&[
        ("IMAGE_CONCURRENCY", "32"),
        ("IMAGE_CONCURRENCY_PER_HOST", " 4 "),
    ])
    .unwrap();
    assert_eq!(
        c.image_concurrency,
        ImageConcurrency {
            overall: 32,
            per_host: 4
        }
    );
    let c = config(&[("IMAGE_CONCURRENCY", "3")]).unwrap();
    assert_eq!(
        c.image_concurrency.per_host, 3,
        "the default per-host limit is lowered to a smaller overall one"
    );
}

#[test]
fn bad_image_limits_are_named() {
    let problems = config(&[
        ("IMAGE_CONCURRENCY", "0"),
        ("IMAGE_CONCURRENCY_PER_HOST", "many"),
    ])
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "IMAGE_CONCURRENCY=\"0\": expected a whole number from 1 to 256",
            "IMAGE_CONCURRENCY_PER_HOST=\"many\": expected a whole number from 1 to 256",
        ]
    );
    let problems = config(&[
        ("IMAGE_CONCURRENCY", "4"),
        ("IMAGE_CONCURRENCY_PER_HOST", "6"),
    ])
    .unwrap_err();
    assert_eq!(
        problems,
        [
            "IMAGE_CONCURRENCY_PER_HOST=6: more than IMAGE_CONCURRENCY=4; one host cannot have more downloads at once than all hosts together"
        ]
    );
}

#[test]
fn a_source_may_set_its_own_image_limits() {
    let dir = tempfile::tempdir().unwrap();
    let file = sources_file(
        &dir,
        "image_concurrency = 40\nimage_concurrency_per_host = \"20\"\n",
    );
    let c = config(&[
        ("IMPORT_SOURCES_FILE", &file),
        ("IMAGE_CONCURRENCY_PER_HOST", "2"),
    ])
    .unwrap();
    let limits: Vec<ImageConcurrency> = c
        .sources
        .iter()
        .map(|s| s.image_limits(c.image_concurrency))
        .collect();
    assert_eq!(
        limits,
        [
            ImageConcurrency {
                overall: 40,
                per_host: 20
            },
            ImageConcurrency {
                overall: 16,
                per_host: 2
            }
        ]
    );
    let file = sources_file(&dir, "image_concurrency = 3\n");
    let c = config(&[("IMPORT_SOURCES_FILE", &file)]).unwrap();
    assert_eq!(
        c.sources[0].image_limits(c.image_concurrency),
        ImageConcurrency {
            overall: 3,
            per_host: 3
        }
    );
}

#[test]
fn bad_source_image_limits_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = sources_file(&dir, "image_concurrency = 0\n");
    let problems = config(&[("IMPORT_SOURCES_FILE", &file)]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "IMPORT_SOURCES_FILE={file:?}: source \"a\": image_concurrency=0: expected a whole number from 1 to 256"
        )]
    );
    let file = sources_file(&dir, "image_concurrency_per_host = 20\n");
    let problems = config(&[("IMPORT_SOURCES_FILE", &file)]).unwrap_err();
    assert_eq!(
        problems,
        [format!(
            "IMPORT_SOURCES_FILE={file:?}: source \"a\": image_concurrency_per_host=20: more than IMAGE_CONCURRENCY=16; one host cannot have more downloads at once than all hosts together"
        )]
    );
    let file = sources_file(
        &dir,
        "image_concurrency = 2\nimage_concurrency_per_host = 3\n",
    );
    let problems = config(&[("IMPORT_SOURCES_FILE", &file)]).unwrap_err();
    assert!(
        problems[0].ends_with("image_concurrency_per_host=3: more than its image_concurrency=2; one host cannot have more downloads at once than all hosts together"),
        "{problems:?}"
    );
}
