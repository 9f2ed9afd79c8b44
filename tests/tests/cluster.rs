//! The widget on two backend nodes sharing one PostgreSQL (issue 16): Ana's panel talks to node 1,
//! Bruno's to node 2; each sees the other's presence and calls live, as on one node. The
//! PostgreSQL server is the tests' throw-away one (`server/tests/support/pg.rs`).

#[path = "../../server/tests/support/pg.rs"]
mod pg;

use anyhow::Result;
use fantoccini::{Client, Locator};
use ucclient_e2e::{
    Server, click, screenshot, sign_in, type_into, wait_attr, wait_text, wait_until, with_browsers,
};

const W: u32 = 800;
const H: u32 = 560;

async fn ready(client: &Client) -> Result<()> {
    wait_attr(client, "[data-test=connection]", "data-state", "live").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_on_two_nodes_see_each_others_presence_and_calls_live() -> Result<()> {
    let postgres = pg::Postgres::start();
    let database = postgres.fresh_database();
    let one = Server::node("demo", &database).await?;
    let two = Server::node("serve", &database).await?;
    with_browsers(2, W, H, async |b| {
        let (ana, bruno) = (&b[0].client, &b[1].client);
        sign_in(ana, &one.url(), "ana@acme.example").await?;
        sign_in(bruno, &two.url(), "bruno@acme.example").await?;
        ready(ana).await?;
        ready(bruno).await?;

        // Bruno's change on node 2 reaches Ana's directory on node 1.
        click(ana, "#uc-tab-directory").await?;
        wait_text(ana, "[data-user=bruno] .uc-presence", "Available").await?;
        click(bruno, "[data-profile=lunch]").await?;
        wait_text(bruno, "[data-test=badge]", "Lunch").await?;
        wait_text(ana, "[data-user=bruno] .uc-presence", "Lunch").await?;
        screenshot(ana, "cluster-01-node-1-sees-node-2").await?;

        // Ana dials on node 1: Bruno, on node 2, sees her on a call.
        click(bruno, "#uc-tab-directory").await?;
        click(ana, "#uc-tab-dial").await?;
        type_into(ana, "#uc-number", "912 345 678").await?;
        click(ana, "form[data-test=dialer] button[type=submit]").await?;
        wait_until(ana, "a call card", async |c| {
            Ok(c.find(Locator::Css("[data-test=call-card]")).await.is_ok())
        })
        .await?;
        wait_text(bruno, "[data-user=ana] .uc-presence", "On a call").await?;
        screenshot(bruno, "cluster-02-node-2-sees-node-1-on-a-call").await?;
        click(ana, "[data-test=hangup]").await?;
        wait_text(bruno, "[data-user=ana] .uc-presence", "Available").await?;
        Ok(())
    })
    .await
}
