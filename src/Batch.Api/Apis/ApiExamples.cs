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

        CSV (header required). The custom_ids come from the column the spec's `id_column` names, else a `custom_id` column, else an
        `id` column, else they are numbered `row-000001`, ... (`"id_column": ""` numbers them whatever the columns):
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
        {"id": "0193a5c2-...", "row_count": 1, "status": "queued", "notes": [],
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
         "notes": [], "model": "claude-sonnet-4-5", "account": "default", "row_format": "csv_template", "row_count": 1000,
         "counts": {"pending": 640, "claimed": 60, "in_flight": 40, "succeeded": 255, "failed": 5, "canceled": 0},
         "tokens": {"input": 25500, "cache_write_5m": 1200, "cache_write_1h": 0, "cache_read": 305000, "output": 2600},
         "cost_usd": 0.16025, "progress": {"done": 260, "total": 1000, "fraction": 0.26}, "estimated_seconds_left": 85.4,
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
                   "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0}}}},
         "batch": {"request_id": "req_...", "latency_ms": 812, "attempts": 1, "error_type": null, "cost_usd": 0.000448}}
        {"custom_id": "r002", "result": {"type": "errored", "error": {"type": "error", "error": {"type": "invalid_request_error", "message": "..."}}},
         "batch": {"request_id": "req_...", "latency_ms": 95, "attempts": 1, "error_type": "invalid_request_error", "cost_usd": null}}
        {"custom_id": "r003", "result": {"type": "canceled"}, "batch": {"request_id": null, "latency_ms": null, "attempts": null, "error_type": null, "cost_usd": null}}
        ```
        `result` is exactly Anthropic's; `batch` holds Batch's own fields. A job with an output schema adds `"parsed"` beside `result`
        on succeeded lines: `{"custom_id": "r001", "result": {"type": "succeeded", ...}, "batch": {...}, "parsed": {"sentiment": "negative", "reason": "..."}}`.
        CSV: `custom_id` (unless an input column holds the ids), the input columns, the output schema's properties (if any), then
        output_text, stop_reason, input_tokens, cache_write_5m_tokens, cache_write_1h_tokens, cache_read_tokens, output_tokens, cost_usd,
        request_id, latency_ms, attempts, error_type, error. Cells starting with = + - @ tab or CR get a leading '.
        `?bom=true` starts the CSV with a UTF-8 byte order mark, which Excel needs to read UTF-8.
        """;

    public const string CostReport = """
        `from` / `to`: dates (a `to` date is included) or RFC 3339 times, rounded out to whole UTC hours; this calendar month by
        default. `group_by`: a comma list of `day`, `hour`, `model`, `project`, `account`, `job` (default `day`). `time_zone`:
        an IANA id for day boundaries (default UTC). `project`: one project (admin keys; a project key sees its own).
        `format=csv`: the same columns, one group a line, the total last.

        ```sh
        curl -H "Authorization: Bearer $KEY" "http://127.0.0.1:5080/api/reports/costs?from=2026-11-01&to=2026-11-30&group_by=day,model&time_zone=Europe/Berlin"
        ```
        ```json
        {"from": "2026-11-01T00:00:00+01:00", "to": "2026-12-01T00:00:00+01:00", "time_zone": "Europe/Berlin", "project": null,
         "group_by": ["day", "model"],
         "data": [{"day": "2026-11-24", "model": "claude-sonnet-4-5", "rows": 1000, "requests": 1004, "input_tokens": 25500,
                   "cache_write_5m_tokens": 1210, "cache_write_1h_tokens": 0, "cache_read_tokens": 1208790, "output_tokens": 9800,
                   "cost_usd": 0.589, "cache_savings_usd": 3.26, "batch_savings_usd": 0}],
         "total": {"rows": 1000, "requests": 1004, "input_tokens": 25500, "cache_write_5m_tokens": 1210, "cache_write_1h_tokens": 0,
                   "cache_read_tokens": 1208790, "output_tokens": 9800, "cost_usd": 0.589, "cache_savings_usd": 3.26, "batch_savings_usd": 0}}
        ```
        `rows`: rows recorded; `requests`: attempts sent for them (retries included). `cache_savings_usd`: the cache reads at the
        uncached input price minus what they cost, minus what the cache writes cost above the uncached input price; negative when a
        prefix was written more often than read. `batch_savings_usd`: what a discounted tier saved (0 until rows are answered at one).
        """;

    public const string JobCost = """
        ```json
        {"job_id": "0193a5c2-...", "rows": 1000, "requests": 1004,
         "tokens": {"input": 25500, "cache_write_5m": 1210, "cache_write_1h": 0, "cache_read": 1208790, "output": 9800},
         "cost_usd": {"input": 0.0765, "cache_write_5m": 0.0045375, "cache_write_1h": 0, "cache_read": 0.362637, "output": 0.147, "total": 0.5906745},
         "cache_hit_rate": 0.999, "cache_savings_usd": 3.2622, "batch_savings_usd": 0, "max_cost_usd": 5,
         "prices": [{"price": {"id": "5fb1e1a0-...", "model_prefix": "claude-sonnet-4-5", "effective_from": "2025-01-01T00:00:00+00:00",
                               "input_per_mtok": 3, "cache_write_5m_per_mtok": 3.75, "cache_write_1h_per_mtok": 6, "cache_read_per_mtok": 0.3,
                               "output_per_mtok": 15},
                     "models": ["claude-sonnet-4-5"]}],
         "unpriced_models": []}
        ```
        `cache_hit_rate`: cache-read tokens over all tokens of cached prefixes (read or written).
        """;

    public const string UpdateAccount = """
        ```json
        {"rpm": 1000, "monthly_cost_limit_usd": 500}
        ```
        `monthly_cost_limit_usd` caps what every job on the account spends per calendar month (UTC); `null` removes it. Jobs paused at
        the limit go on by themselves when it is raised or the month turns. Of the default account only this field can be changed here
        (the rest comes from the `Anthropic__*` settings).
        """;

    public const string EstimateJob = """
        The same multipart parts as `POST /api/jobs` (`spec` first, then `file`), read by the same parser with the same errors;
        nothing is stored. Input tokens come from the account's `count_tokens` (the shared prefix and a sample of
        `Batch:Estimates:SampleRows` rows, scaled to the rest by characters), or from characters when the account has no
        `count_tokens` (a 404 from a gateway) or the API has no key for it: `token_counting` says which.

        ```sh
        curl -H "Authorization: Bearer $KEY" -F spec=@reviews.spec.json -F file=@reviews.csv http://127.0.0.1:5080/api/jobs/estimate
        ```
        ```json
        {"rows": 1000, "model": "claude-sonnet-4-5", "shared_prefix_tokens": 1210, "input_tokens": 25500, "cache_write_tokens": 1210,
         "cache_read_tokens": 1208790, "output_tokens": {"expected": 9800, "max": 32000},
         "cost_usd": {"low": 0.4445, "expected": 0.5906745, "high": 0.9545}, "cost_without_cache_usd": 4.0500,
         "binding_limit": "rpm", "minutes_at_budget": 20.6, "token_counting": "count_tokens",
         "notes": ["Expected output is the average of 2000 earlier rows with the same model, system prompt and template: 9.8 tokens a row."]}
        ```
        `low` assumes one output token a row and a warm cache; `high` max_tokens on every row and a cache write per cache lifetime
        the job spans at its budget. `minutes_at_budget` is the time at the account's limits for the model's class; `binding_limit`
        names the limit that binds.
        """;
}
