//! The harness itself cannot pass by luck: a screenshot of a page where the widget did not mount
//! fails, as does one of a widget that scrolls sideways.

use anyhow::Result;
use ucclient_e2e::{screenshot, with_browsers};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screenshot_without_the_widget_fails() -> Result<()> {
    with_browsers(1, 500, 400, async |b| {
        let client = &b[0].client;
        client
            .goto("data:text/html,<div id=app><p>the widget did not load</p></div>")
            .await?;
        let err = screenshot(client, "harness-no-widget")
            .await
            .expect_err("a page without .uc-widget must not pass as a screenshot");
        assert!(
            err.to_string().contains("no .uc-widget"),
            "unexpected error: {err}"
        );

        // The same page with a widget that overflows its container fails too, and names why.
        client
            .goto(
                "data:text/html,<div id=app style='width:300px'><div class=uc-widget>\
                 <p style='width:400px'>too wide</p></div></div>",
            )
            .await?;
        let err = screenshot(client, "harness-too-wide")
            .await
            .expect_err("a widget that scrolls sideways must not pass");
        assert!(err.to_string().contains("scrolls sideways"), "{err}");

        // And a widget that fits passes.
        client
            .goto("data:text/html,<div id=app style='width:300px'><div class=uc-widget><p>fits</p></div></div>")
            .await?;
        screenshot(client, "harness-fits").await?;
        Ok(())
    })
    .await
}
