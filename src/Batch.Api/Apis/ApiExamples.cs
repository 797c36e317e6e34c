namespace Batch.Api.Apis;

/// <summary>Worked examples shown in the API reference at <c>/docs</c>.</summary>
internal static class ApiExamples
{
    public const string CreateJob = """
        Multipart parts: `spec` (JSON, first) and `file` (CSV or JSONL, optionally gzip). The file is parsed as it streams in
        and stored with binary COPY in one transaction: all rows or none. Send `Idempotency-Key: <any string>` to make a
        retry return the job the first attempt created (200 instead of 201).

        ```sh
        curl -H "Authorization: Bearer $KEY" -F spec=@reviews.spec.json -F file=@reviews.csv http://127.0.0.1:5080/api/jobs
        ```

        Spec:
        ```json
        {"name": "Classify reviews", "model": "claude-sonnet-4-5", "system": "You classify product reviews.",
         "template": "Review {{id}} ({{stars}} stars): {{review}}", "max_tokens": 32, "cache_ttl": "5m", "temperature": 0}
        ```

        With `output_schema` (JSON Schema, an object at the top) every answer is validated and CSV results get a column per
        property; `output_mode` is `auto` (default: structured outputs where the model supports them, else a forced tool),
        `json_schema` or `tool`; `schema_retries` (default 1) asks again when an answer does not match:
        ```json
        {"model": "claude-sonnet-4-5", "template": "Review: {{review}}", "max_tokens": 200,
         "output_schema": {"type": "object", "properties": {"sentiment": {"type": "string", "enum": ["positive", "neutral", "negative"]},
           "reason": {"type": "string"}}, "required": ["sentiment", "reason"], "additionalProperties": false}}
        ```

        CSV (header required; a `custom_id` column is used when present, else `row-000001`, ...):
        ```csv
        id,review,stars
        r001,"Great screen, poor battery.",3
        ```

        JSONL, template variables or Anthropic's batch line shape:
        ```json
        {"custom_id": "r001", "review": "Great screen, poor battery.", "stars": 3}
        {"custom_id": "r002", "params": {"max_tokens": 64, "messages": [{"role": "user", "content": "Hello"}]}}
        ```

        Answer (201):
        ```json
        {"id": "0193a5c2-...", "row_count": 1, "status": "queued",
         "links": {"self": "/api/jobs/0193a5c2-...", "results": "/api/jobs/0193a5c2-.../results", "cancel": "/api/jobs/0193a5c2-.../cancel"}}
        ```

        A bad file (422) names each line; nothing is stored:
        ```json
        {"title": "The file has errors; nothing was stored", "status": 422, "detail": "2 errors; the first: line 3: This row has 2 fields; the header has 3.",
         "errors": [{"line": 3, "message": "This row has 2 fields; the header has 3."},
                    {"line": 7, "field": "custom_id", "message": "custom_id 'a' is already used on line 2; custom_ids must be unique within a job."}]}
        ```
        """;

    public const string ListJobs = """
        `?limit=20` (1 to 1000), `?after=<last id of the previous page>`, `?status=running`. Answer:
        ```json
        {"data": [{"id": "...", "status": "running", ...}], "has_more": true, "first_id": "...", "last_id": "..."}
        ```
        """;

    public const string GetJob = """
        ```json
        {"id": "0193a5c2-...", "name": "Classify reviews", "project": "team-a", "status": "running", "status_reason": null, "cache_note": null,
         "model": "claude-sonnet-4-5", "account": "default", "row_format": "csv_template", "row_count": 1000,
         "counts": {"pending": 700, "in_flight": 40, "succeeded": 255, "failed": 5, "canceled": 0},
         "tokens": {"input": 25500, "cache_write_5m": 1200, "cache_write_1h": 0, "cache_read": 305000, "output": 2600},
         "cost_usd": 0.1602, "progress": {"done": 260, "total": 1000, "fraction": 0.26}, "estimated_seconds_left": 85.4,
         "created_at": "2026-11-24T10:00:00Z", "started_at": "2026-11-24T10:00:01Z", "finished_at": null, "updated_at": "2026-11-24T10:00:31Z",
         "links": {"self": "/api/jobs/0193a5c2-...", "results": "/api/jobs/0193a5c2-.../results", "cancel": "/api/jobs/0193a5c2-.../cancel"}}
        ```
        """;

    public const string Results = """
        Format from `?format=jsonl|csv`, else `Accept: application/jsonl | application/x-ndjson | text/csv`; JSONL by default.
        Unfinished rows are left out unless `?include_pending=true`. JSONL lines:
        ```json
        {"custom_id": "r001", "result": {"type": "succeeded", "message": {"id": "msg_...", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
         "content": [{"type": "text", "text": "negative: battery"}], "stop_reason": "end_turn", "stop_sequence": null,
         "usage": {"input_tokens": 25, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1210, "output_tokens": 4,
                   "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}}}}}
        {"custom_id": "r002", "result": {"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "..."}}}}
        {"custom_id": "r003", "result": {"type": "canceled"}}
        ```
        A job with an output schema adds `"parsed"` beside `result` on succeeded lines:
        `{"custom_id": "r001", "result": {"type": "succeeded", ...}, "parsed": {"sentiment": "negative", "reason": "..."}}`.
        CSV: the input columns, the output schema's properties (if any), then output_text, stop_reason, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens,
        cache_read_tokens, output_tokens, cost_usd, error. Cells starting with = + - @ tab or CR get a leading '.
        """;
}
