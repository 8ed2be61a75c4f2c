//! PostgreSQL for the benchmarks that run on a database of their own: a connection, and the
//! maintenance connection that creates (migrated), drops and describes databases.

#![allow(dead_code, reason = "each benchmark uses the part it needs")]

use anyhow::Context as _;
pub use propimport_persistence::testing::with_database;
use propimport_persistence::{DatabaseUrl, migrate_url};
use tokio_postgres::{Client, NoTls};

/// Connects to the database at `url`; the connection runs on a task of its own.
pub async fn connect(url: &str) -> anyhow::Result<Client> {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .context("connect to PostgreSQL")?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("PostgreSQL connection: {e}");
        }
    });
    Ok(client)
}

/// Applies the pending migrations of the database at `url`; returns how many.
pub async fn migrate(url: &str) -> anyhow::Result<usize> {
    Ok(migrate_url(&DatabaseUrl::Postgres(url.to_owned())).await?)
}

/// A connection to the server's maintenance database, for creating and dropping databases.
pub struct Admin {
    server_url: String,
    client: Client,
}

impl Admin {
    /// Connects to `server_url`.
    pub async fn connect(server_url: &str) -> anyhow::Result<Self> {
        let client = connect(server_url).await?;
        Ok(Self {
            server_url: server_url.to_owned(),
            client,
        })
    }

    /// The URL of the database `name` on this server.
    pub fn url_of(&self, name: &str) -> String {
        with_database(&self.server_url, name)
    }

    /// Whether the database `name` exists.
    pub async fn exists(&self, name: &str) -> anyhow::Result<bool> {
        let row = self
            .client
            .query_one(
                "SELECT count(*) FROM pg_database WHERE datname = $1",
                &[&name],
            )
            .await?;
        Ok(row.get::<_, i64>(0) > 0)
    }

    /// Creates the empty database `name` (dropping a leftover of an interrupted run) and
    /// applies the migrations; returns its URL.
    pub async fn create(&self, name: &str) -> anyhow::Result<String> {
        let url = self.create_empty(name).await?;
        migrate(&url).await?;
        Ok(url)
    }

    /// Creates the empty database `name` (dropping a leftover of an interrupted run), for a
    /// service that migrates it at start-up; returns its URL.
    pub async fn create_empty(&self, name: &str) -> anyhow::Result<String> {
        self.drop(name).await?;
        self.client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        Ok(self.url_of(name))
    }

    /// Drops the database `name` if it exists.
    pub async fn drop(&self, name: &str) -> anyhow::Result<()> {
        self.client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await
            .with_context(|| format!("DROP DATABASE {name}"))
    }

    /// Writes the server's dirty buffers out now (`CHECKPOINT`), so that a timed case does not
    /// pay for the writes of the cases before it.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        self.client
            .batch_execute("CHECKPOINT")
            .await
            .context("CHECKPOINT")
    }

    /// The server's settings named `names` (with their units), in name order.
    pub async fn settings(&self, names: &[&str]) -> anyhow::Result<Vec<(String, String)>> {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let rows = self
            .client
            .query(
                "SELECT name, setting || COALESCE(' ' || unit, '') FROM pg_settings \
                 WHERE name = ANY($1) ORDER BY name",
                &[&names],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }
}
