//! The Audit log tabs: every administrative change (who, what, on what, when, from where), newest
//! first, a page at a time (`before=<id>` of the last row shown).

use leptos::prelude::*;
use ucclient_core::time::Timestamp;

use crate::api::AuditEntry;
use crate::app::{Ctx, Loaded, load};

/// Rows per page.
pub const PAGE: u32 = 50;

/// When an entry was made, as `2026-12-07 02:15:59 UTC`.
pub fn when(ms: i64) -> String {
    Timestamp::from_millis(ms)
        .map(|t| {
            let text = t.to_string();
            let text = text
                .split('.')
                .next()
                .unwrap_or(&text)
                .trim_end_matches('Z');
            format!("{} UTC", text.replacen('T', " ", 1))
        })
        .unwrap_or_else(|| ms.to_string())
}

/// The page of entries before `before` (the newest page when `None`).
fn page_path(path: &str, before: Option<i64>) -> String {
    match before {
        Some(id) => format!("{path}?limit={PAGE}&before={id}"),
        None => format!("{path}?limit={PAGE}"),
    }
}

/// The tab; `path` is `/admin/audit` (the customer's) or `/admin/reseller/audit`.
#[component]
pub fn Audit(path: &'static str) -> impl IntoView {
    let ctx = Ctx::current();
    let entries: Loaded<Vec<AuditEntry>> = RwSignal::new(None);
    // The ids each shown page started before: empty on the newest page.
    let pages: RwSignal<Vec<Option<i64>>> = RwSignal::new(vec![None]);
    let show = move |before: Option<i64>| load(ctx, page_path(path, before), entries);
    show(None);
    let older = move |_| {
        let last = entries.with_untracked(|e| {
            e.as_ref()
                .and_then(|r| r.as_ref().ok())
                .and_then(|list| list.last().map(|a| a.id))
        });
        if let Some(id) = last {
            pages.update(|p| p.push(Some(id)));
            show(Some(id));
        }
    };
    let newer = move |_| {
        pages.update(|p| {
            if p.len() > 1 {
                p.pop();
            }
        });
        show(pages.with_untracked(|p| p.last().copied().flatten()));
    };
    let full_page = move || {
        entries.with(|e| {
            e.as_ref()
                .and_then(|r| r.as_ref().ok())
                .is_some_and(|l| l.len() as u32 >= PAGE)
        })
    };
    let row = |a: AuditEntry| {
        let detail = if a.detail.is_null() {
            String::new()
        } else {
            a.detail.to_string()
        };
        let action = a.action.clone();
        view! {
            <tr data-action=action>
                <td class="nowrap">{when(a.at)}</td>
                <td>{a.actor.name}</td>
                <td><code>{a.action}</code></td>
                <td class="wrap">{a.target}</td>
                <td class="wrap detail"><code>{detail}</code></td>
                <td class="nowrap">{a.from}</td>
            </tr>
        }
    };
    view! {
        <section aria-labelledby="audit-h">
            <h2 id="audit-h">
                {if path.contains("reseller") { "Reseller audit log" } else { "Audit log" }}
            </h2>
            <p class="muted">"Every administrative change, newest first."</p>
            {crate::app::loaded_view(entries, move |list: Vec<AuditEntry>| {
                if list.is_empty() {
                    return view! { <p class="muted">"Nothing recorded here."</p> }.into_any();
                }
                view! {
                    <div class="scroll">
                        <table data-test="audit">
                            <thead>
                                <tr>
                                    <th scope="col">"When"</th>
                                    <th scope="col">"Who"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"On"</th>
                                    <th scope="col">"Detail"</th>
                                    <th scope="col">"From"</th>
                                </tr>
                            </thead>
                            <tbody>{list.into_iter().map(row).collect_view()}</tbody>
                        </table>
                    </div>
                }
                .into_any()
            })}
            <div class="buttons">
                <button type="button" disabled=move || pages.with(|p| p.len() <= 1) on:click=newer>"Newer"</button>
                <button type="button" disabled=move || !full_page() on:click=older>"Older"</button>
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_pages() {
        assert_eq!(when(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(page_path("/admin/audit", None), "/admin/audit?limit=50");
        assert_eq!(
            page_path("/admin/audit", Some(7)),
            "/admin/audit?limit=50&before=7"
        );
    }
}
