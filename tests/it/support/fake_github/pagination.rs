//! GitHub's list pagination: `per_page` (default 30, at most 100) and `page` (from 1), with a
//! `Link` header of absolute URLs on the API's own base when there is more than one page.

use serde_json::Value;

use super::server::{Reply, Req};

pub(crate) struct Page<T> {
    pub items: Vec<T>,
    pub link: Option<String>,
}

/// `per_page` (`default` when absent, at most `max`) and `page` (from 1) of a list request.
pub(crate) fn page_params(req: &Req, default: usize, max: usize) -> (usize, usize) {
    let number = |name: &str| {
        req.q(name)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
    };
    let per_page = number("per_page").unwrap_or(default).min(max);
    (per_page, number("page").unwrap_or(1))
}

pub(crate) fn paginate<T>(all: Vec<T>, req: &Req, api_base: &str) -> Page<T> {
    let (per_page, page) = page_params(req, 30, 100);
    let last = all.len().div_ceil(per_page).max(1);
    let link = (last > 1).then(|| {
        let url = |n: usize| page_url(req, api_base, n);
        let mut rels = Vec::new();
        if page > 1 {
            rels.push(format!("<{}>; rel=\"prev\"", url((page - 1).min(last))));
        }
        if page < last {
            rels.push(format!("<{}>; rel=\"next\"", url(page + 1)));
            rels.push(format!("<{}>; rel=\"last\"", url(last)));
        }
        if page > 1 {
            rels.push(format!("<{}>; rel=\"first\"", url(1)));
        }
        rels.join(", ")
    });
    let items = all
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    Page { items, link }
}

/// The request's own URL with `page` replaced, other parameters kept in order.
fn page_url(req: &Req, api_base: &str, page: usize) -> String {
    let mut params: Vec<String> = req
        .raw_query
        .as_deref()
        .unwrap_or_default()
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("page="))
        .map(str::to_string)
        .collect();
    params.push(format!("page={page}"));
    format!("{api_base}{}?{}", req.path, params.join("&"))
}

/// The page of `all` that `req` asks for, each item rendered by `render`, with its `Link`
/// header: a JSON array, or with `key` the Actions lists' `{"total_count": N, KEY: [...]}`.
pub(crate) fn paged_reply<T>(
    all: Vec<T>,
    req: &Req,
    api_base: &str,
    key: Option<&str>,
    render: impl Fn(&T) -> Value,
) -> Reply {
    let total = all.len();
    let page = paginate(all, req, api_base);
    let items: Vec<Value> = page.items.iter().map(render).collect();
    let body = match key {
        Some(key) => {
            let mut body = serde_json::Map::new();
            body.insert("total_count".into(), total.into());
            body.insert(key.into(), items.into());
            Value::Object(body)
        }
        None => Value::Array(items),
    };
    page.with_link(Reply::json(200, body))
}

impl<T> Page<T> {
    pub fn with_link(&self, reply: Reply) -> Reply {
        match &self.link {
            Some(link) => reply.header("link", link.clone()),
            None => reply,
        }
    }
}
