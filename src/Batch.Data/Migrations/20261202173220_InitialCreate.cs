using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace Batch.Data.Migrations
{
    /// <inheritdoc />
    public partial class InitialCreate : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "batch");

            migrationBuilder.CreateTable(
                name: "api_keys",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    project = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    key_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    prefix = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    is_admin = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    revoked_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_api_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "cost_rollups",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    hour = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    project = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    price_id = table.Column<Guid>(type: "uuid", nullable: true),
                    delivery = table.Column<short>(type: "smallint", nullable: false, defaultValue: (short)0),
                    rows = table.Column<long>(type: "bigint", nullable: false),
                    requests = table.Column<long>(type: "bigint", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_write_5m_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_write_1h_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_read_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(24,10)", precision: 24, scale: 10, nullable: false),
                    cache_savings_usd = table.Column<decimal>(type: "numeric(24,10)", precision: 24, scale: 10, nullable: false),
                    batch_savings_usd = table.Column<decimal>(type: "numeric(24,10)", precision: 24, scale: 10, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_cost_rollups", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "model_prices",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    model_prefix = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    effective_from = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    input_per_m_tok = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    cache_write5m_per_m_tok = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    cache_write1h_per_m_tok = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    cache_read_per_m_tok = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    output_per_m_tok = table.Column<decimal>(type: "numeric(12,6)", precision: 12, scale: 6, nullable: false),
                    batch_multiplier = table.Column<decimal>(type: "numeric(6,4)", precision: 6, scale: 4, nullable: false, defaultValue: 0.5m)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_prices", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "model_settings",
                schema: "batch",
                columns: table => new
                {
                    model_prefix = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    model_class = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    min_cacheable_tokens = table.Column<int>(type: "integer", nullable: false),
                    cache_reads_count_toward_input_tpm = table.Column<bool>(type: "boolean", nullable: false),
                    structured_outputs = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_model_settings", x => x.model_prefix);
                });

            migrationBuilder.CreateTable(
                name: "project_settings",
                schema: "batch",
                columns: table => new
                {
                    project = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    webhook_url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    retention_days = table.Column<int>(type: "integer", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_project_settings", x => x.project);
                });

            migrationBuilder.CreateTable(
                name: "provider_accounts",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    base_url = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: false),
                    api_key_reference = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    api_version = table.Column<string>(type: "character varying(20)", maxLength: 20, nullable: false),
                    rpm = table.Column<int>(type: "integer", nullable: false),
                    input_tpm = table.Column<int>(type: "integer", nullable: false),
                    output_tpm = table.Column<int>(type: "integer", nullable: false),
                    output_budget_mode = table.Column<short>(type: "smallint", nullable: false),
                    batch_window = table.Column<TimeSpan>(type: "interval", nullable: false, defaultValue: new TimeSpan(1, 0, 0, 0, 0)),
                    batch_max_requests = table.Column<int>(type: "integer", nullable: false, defaultValue: 100000),
                    batch_max_bytes = table.Column<long>(type: "bigint", nullable: false, defaultValue: 268435456L),
                    batch_queue_limit = table.Column<int>(type: "integer", nullable: false, defaultValue: 100000),
                    monthly_cost_limit_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: true),
                    is_default = table.Column<bool>(type: "boolean", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provider_accounts", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "account_monthly_spend",
                schema: "batch",
                columns: table => new
                {
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    month = table.Column<DateOnly>(type: "date", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(24,10)", precision: 24, scale: 10, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_monthly_spend", x => new { x.account_id, x.month });
                    table.ForeignKey(
                        name: "fk_account_monthly_spend_provider_accounts_account_id",
                        column: x => x.account_id,
                        principalSchema: "batch",
                        principalTable: "provider_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "jobs",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    project = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    status_reason = table.Column<string>(type: "text", nullable: true),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    system_prompt = table.Column<string>(type: "text", nullable: true),
                    user_template = table.Column<string>(type: "text", nullable: true),
                    max_tokens = table.Column<int>(type: "integer", nullable: false),
                    max_cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: true),
                    default_params = table.Column<string>(type: "jsonb", nullable: false),
                    cache_ttl = table.Column<short>(type: "smallint", nullable: false),
                    delivery_requested = table.Column<short>(type: "smallint", nullable: false, defaultValue: (short)0),
                    delivery = table.Column<short>(type: "smallint", nullable: false, defaultValue: (short)0),
                    delivery_reason = table.Column<string>(type: "text", nullable: true),
                    deadline_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    deadline_after = table.Column<TimeSpan>(type: "interval", nullable: true),
                    priority = table.Column<int>(type: "integer", nullable: false),
                    row_format = table.Column<short>(type: "smallint", nullable: false),
                    output_schema = table.Column<string>(type: "json", nullable: true),
                    output_mode = table.Column<short>(type: "smallint", nullable: false, defaultValue: (short)0),
                    schema_retries = table.Column<int>(type: "integer", nullable: false, defaultValue: 1),
                    columns = table.Column<string[]>(type: "text[]", nullable: false),
                    cache_note = table.Column<string>(type: "text", nullable: true),
                    id_column = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    notes = table.Column<string[]>(type: "text[]", nullable: false, defaultValueSql: "'{}'"),
                    first_rows_checked = table.Column<bool>(type: "boolean", nullable: false, defaultValue: false),
                    idempotency_key = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    schedule_id = table.Column<Guid>(type: "uuid", nullable: true),
                    schedule_firing_id = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    webhook_url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    webhook_attempts = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    webhook_last_status = table.Column<int>(type: "integer", nullable: true),
                    webhook_last_error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    webhook_last_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    deleted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    created_by_key_id = table.Column<Guid>(type: "uuid", nullable: true),
                    row_count = table.Column<int>(type: "integer", nullable: false),
                    succeeded_rows = table.Column<int>(type: "integer", nullable: false),
                    failed_rows = table.Column<int>(type: "integer", nullable: false),
                    canceled_rows = table.Column<int>(type: "integer", nullable: false),
                    expired_rows = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_write_5m_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_write_1h_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_read_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_jobs", x => x.id);
                    table.ForeignKey(
                        name: "fk_jobs_provider_accounts_account_id",
                        column: x => x.account_id,
                        principalSchema: "batch",
                        principalTable: "provider_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "rate_budgets",
                schema: "batch",
                columns: table => new
                {
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model_class = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    rpm = table.Column<int>(type: "integer", nullable: false),
                    input_tpm = table.Column<int>(type: "integer", nullable: false),
                    output_tpm = table.Column<int>(type: "integer", nullable: false),
                    requests_available = table.Column<double>(type: "double precision", nullable: false),
                    input_tokens_available = table.Column<double>(type: "double precision", nullable: false),
                    output_tokens_available = table.Column<double>(type: "double precision", nullable: false),
                    refilled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    paused_until = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    in_flight_requests = table.Column<int>(type: "integer", nullable: false),
                    in_flight_input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    in_flight_output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rate_budgets", x => new { x.account_id, x.model_class });
                    table.ForeignKey(
                        name: "fk_rate_budgets_provider_accounts_account_id",
                        column: x => x.account_id,
                        principalSchema: "batch",
                        principalTable: "provider_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "account_cap_pauses",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    needed_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false),
                    paused_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_account_cap_pauses", x => x.job_id);
                    table.ForeignKey(
                        name: "fk_account_cap_pauses_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_account_cap_pauses_provider_accounts_account_id",
                        column: x => x.account_id,
                        principalSchema: "batch",
                        principalTable: "provider_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_cache_warmups",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model = table.Column<string>(type: "text", nullable: false),
                    warmer = table.Column<Guid>(type: "uuid", nullable: false),
                    claimed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    answered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_cache_warmups", x => new { x.job_id, x.model });
                    table.ForeignKey(
                        name: "fk_job_cache_warmups_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_chunk_activity",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    chunk_id = table.Column<Guid>(type: "uuid", nullable: false),
                    claimed = table.Column<int>(type: "integer", nullable: false),
                    in_flight = table.Column<int>(type: "integer", nullable: false),
                    expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_chunk_activity", x => new { x.job_id, x.chunk_id });
                    table.ForeignKey(
                        name: "fk_job_chunk_activity_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_error_counts",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    error_type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    rows = table.Column<int>(type: "integer", nullable: false),
                    sample_message = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_error_counts", x => new { x.job_id, x.error_type });
                    table.ForeignKey(
                        name: "fk_job_error_counts_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_input_blocks",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    first_seq = table.Column<int>(type: "integer", nullable: false),
                    row_count = table.Column<int>(type: "integer", nullable: false),
                    rows = table.Column<byte[]>(type: "bytea", nullable: false)
                        .Annotation("Npgsql:Compression:", "lz4")
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_input_blocks", x => new { x.job_id, x.first_seq });
                    table.ForeignKey(
                        name: "fk_job_input_blocks_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_minutes",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    minute = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    succeeded_rows = table.Column<int>(type: "integer", nullable: false),
                    failed_rows = table.Column<int>(type: "integer", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_write_5m_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_write_1h_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cache_read_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_minutes", x => new { x.job_id, x.minute });
                    table.ForeignKey(
                        name: "fk_job_minutes_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_rows",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    seq = table.Column<int>(type: "integer", nullable: false),
                    custom_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    input = table.Column<string>(type: "jsonb", nullable: false),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    attempts = table.Column<short>(type: "smallint", nullable: false),
                    lease_token = table.Column<Guid>(type: "uuid", nullable: true),
                    lease_expires_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    output_content = table.Column<string>(type: "jsonb", nullable: true),
                    output_text = table.Column<string>(type: "text", nullable: true),
                    output_parsed = table.Column<string>(type: "json", nullable: true),
                    stop_reason = table.Column<string>(type: "text", nullable: true),
                    stop_sequence = table.Column<string>(type: "text", nullable: true),
                    input_tokens = table.Column<int>(type: "integer", nullable: false),
                    cache_write5m_tokens = table.Column<int>(type: "integer", nullable: false),
                    cache_write1h_tokens = table.Column<int>(type: "integer", nullable: false),
                    cache_read_tokens = table.Column<int>(type: "integer", nullable: false),
                    output_tokens = table.Column<int>(type: "integer", nullable: false),
                    message_id = table.Column<string>(type: "text", nullable: true),
                    request_id = table.Column<string>(type: "text", nullable: true),
                    response_model = table.Column<string>(type: "text", nullable: true),
                    delivery = table.Column<short>(type: "smallint", nullable: false, defaultValue: (short)0),
                    model = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    reserved_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: true),
                    latency_ms = table.Column<int>(type: "integer", nullable: true),
                    http_status = table.Column<short>(type: "smallint", nullable: true),
                    error_type = table.Column<string>(type: "text", nullable: true),
                    error_message = table.Column<string>(type: "text", nullable: true),
                    cost_usd = table.Column<decimal>(type: "numeric(20,10)", precision: 20, scale: 10, nullable: true),
                    completed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_rows", x => new { x.job_id, x.seq });
                    table.ForeignKey(
                        name: "fk_job_rows_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "job_schedules",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    project = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    cron = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    time_zone = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    source_job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    enabled = table.Column<bool>(type: "boolean", nullable: false),
                    last_run_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    last_job_id = table.Column<Guid>(type: "uuid", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_schedules", x => x.id);
                    table.ForeignKey(
                        name: "fk_job_schedules_jobs_source_job_id",
                        column: x => x.source_job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "job_webhook_events",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false, defaultValueSql: "gen_random_uuid()"),
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    payload = table.Column<string>(type: "jsonb", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false, defaultValue: 0),
                    next_attempt_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_status = table.Column<int>(type: "integer", nullable: true),
                    last_error = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: true),
                    delivered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    gave_up_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_job_webhook_events", x => x.id);
                    table.ForeignKey(
                        name: "fk_job_webhook_events_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "provider_batch_polls",
                schema: "batch",
                columns: table => new
                {
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    tick_id = table.Column<Guid>(type: "uuid", nullable: false),
                    due_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    delay = table.Column<TimeSpan>(type: "interval", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provider_batch_polls", x => x.job_id);
                    table.ForeignKey(
                        name: "fk_provider_batch_polls_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "provider_batches",
                schema: "batch",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    job_id = table.Column<Guid>(type: "uuid", nullable: false),
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    provider_batch_id = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    first_seq = table.Column<int>(type: "integer", nullable: false),
                    last_seq = table.Column<int>(type: "integer", nullable: false),
                    request_count = table.Column<int>(type: "integer", nullable: false),
                    bytes = table.Column<long>(type: "bigint", nullable: false),
                    succeeded = table.Column<int>(type: "integer", nullable: false),
                    errored = table.Column<int>(type: "integer", nullable: false),
                    canceled = table.Column<int>(type: "integer", nullable: false),
                    expired = table.Column<int>(type: "integer", nullable: false),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    submitted_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    cancel_requested_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    ended_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    imported_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    note = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_provider_batches", x => x.id);
                    table.ForeignKey(
                        name: "fk_provider_batches_jobs_job_id",
                        column: x => x.job_id,
                        principalSchema: "batch",
                        principalTable: "jobs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_provider_batches_provider_accounts_account_id",
                        column: x => x.account_id,
                        principalSchema: "batch",
                        principalTable: "provider_accounts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "rate_budget_usage",
                schema: "batch",
                columns: table => new
                {
                    account_id = table.Column<Guid>(type: "uuid", nullable: false),
                    model_class = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    slot_start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    requests = table.Column<int>(type: "integer", nullable: false),
                    input_tokens = table.Column<long>(type: "bigint", nullable: false),
                    output_tokens = table.Column<long>(type: "bigint", nullable: false),
                    rate_limited = table.Column<int>(type: "integer", nullable: false, defaultValue: 0)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_rate_budget_usage", x => new { x.account_id, x.model_class, x.slot_start });
                    table.ForeignKey(
                        name: "fk_rate_budget_usage_rate_budgets_account_id_model_class",
                        columns: x => new { x.account_id, x.model_class },
                        principalSchema: "batch",
                        principalTable: "rate_budgets",
                        principalColumns: new[] { "account_id", "model_class" },
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_prices",
                columns: new[] { "id", "batch_multiplier", "cache_read_per_m_tok", "cache_write1h_per_m_tok", "cache_write5m_per_m_tok", "effective_from", "input_per_m_tok", "model_prefix", "output_per_m_tok" },
                values: new object[,]
                {
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000001"), 0.5m, 0.50m, 10m, 6.25m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 5m, "claude-opus-4-5", 25m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000002"), 0.5m, 0.50m, 10m, 6.25m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 5m, "claude-opus-4-6", 25m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000003"), 0.5m, 0.50m, 10m, 6.25m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 5m, "claude-opus-4-7", 25m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000004"), 0.5m, 0.30m, 6m, 3.75m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 3m, "claude-sonnet-4-5", 15m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000005"), 0.5m, 0.30m, 6m, 3.75m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 3m, "claude-sonnet-4-6", 15m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000006"), 0.5m, 0.10m, 2m, 1.25m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 1m, "claude-haiku-4-5", 5m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000007"), 0.5m, 1.50m, 30m, 18.75m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 15m, "claude-opus-4-1", 75m },
                    { new Guid("5fb1e1a0-0001-4000-8000-000000000008"), 0.5m, 0.20m, 4m, 2.50m, new DateTimeOffset(new DateTime(2025, 1, 1, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), 2m, "claude-sonnet-5", 10m }
                });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class" },
                values: new object[,]
                {
                    { "claude-3-5-haiku", true, 2048, "haiku-3" },
                    { "claude-3-haiku", true, 2048, "haiku-3" }
                });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class", "structured_outputs" },
                values: new object[] { "claude-haiku-4-5", false, 4096, "haiku-4.5", true });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class" },
                values: new object[] { "claude-opus-4-1", false, 1024, "opus-4.1" });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class", "structured_outputs" },
                values: new object[,]
                {
                    { "claude-opus-4-5", false, 4096, "opus-4.5+", true },
                    { "claude-opus-4-6", false, 4096, "opus-4.5+", true }
                });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class" },
                values: new object[,]
                {
                    { "claude-opus-4-7", false, 4096, "opus-4.5+" },
                    { "claude-sonnet-4", false, 1024, "sonnet-4" }
                });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class", "structured_outputs" },
                values: new object[,]
                {
                    { "claude-sonnet-4-5", false, 1024, "sonnet-4", true },
                    { "claude-sonnet-4-6", false, 1024, "sonnet-4", true }
                });

            migrationBuilder.InsertData(
                schema: "batch",
                table: "model_settings",
                columns: new[] { "model_prefix", "cache_reads_count_toward_input_tpm", "min_cacheable_tokens", "model_class" },
                values: new object[] { "claude-sonnet-5", false, 2048, "sonnet-5" });

            migrationBuilder.CreateIndex(
                name: "ix_account_cap_pauses_account_id",
                schema: "batch",
                table: "account_cap_pauses",
                column: "account_id");

            migrationBuilder.CreateIndex(
                name: "ix_api_keys_key_hash",
                schema: "batch",
                table: "api_keys",
                column: "key_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_cost_rollups_job_id",
                schema: "batch",
                table: "cost_rollups",
                column: "job_id");

            migrationBuilder.CreateIndex(
                name: "ux_cost_rollups_bucket",
                schema: "batch",
                table: "cost_rollups",
                columns: new[] { "hour", "project", "account_id", "model", "job_id", "price_id", "delivery" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);

            migrationBuilder.CreateIndex(
                name: "ix_job_rows_leased",
                schema: "batch",
                table: "job_rows",
                columns: new[] { "job_id", "lease_expires_at" },
                filter: "status = 1");

            migrationBuilder.CreateIndex(
                name: "ix_job_rows_pending",
                schema: "batch",
                table: "job_rows",
                columns: new[] { "job_id", "seq" },
                filter: "status = 0");

            migrationBuilder.CreateIndex(
                name: "ix_job_rows_recorded",
                schema: "batch",
                table: "job_rows",
                columns: new[] { "job_id", "completed_at" },
                descending: new[] { false, true },
                filter: "status IN (2, 3)");

            migrationBuilder.CreateIndex(
                name: "ix_job_rows_reserved",
                schema: "batch",
                table: "job_rows",
                column: "job_id",
                filter: "status = 1 AND reserved_usd IS NOT NULL")
                .Annotation("Npgsql:IndexInclude", new[] { "reserved_usd" });

            migrationBuilder.CreateIndex(
                name: "ux_job_rows_custom_id",
                schema: "batch",
                table: "job_rows",
                columns: new[] { "custom_id", "job_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_job_schedules_project",
                schema: "batch",
                table: "job_schedules",
                column: "project");

            migrationBuilder.CreateIndex(
                name: "ix_job_schedules_source_job_id",
                schema: "batch",
                table: "job_schedules",
                column: "source_job_id");

            migrationBuilder.CreateIndex(
                name: "ix_job_webhook_events_job_id",
                schema: "batch",
                table: "job_webhook_events",
                column: "job_id");

            migrationBuilder.CreateIndex(
                name: "ix_job_webhook_events_next_attempt_at",
                schema: "batch",
                table: "job_webhook_events",
                column: "next_attempt_at",
                filter: "delivered_at IS NULL AND gave_up_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_account_id",
                schema: "batch",
                table: "jobs",
                column: "account_id");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_expires_at",
                schema: "batch",
                table: "jobs",
                column: "expires_at",
                filter: "expires_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_finished_at",
                schema: "batch",
                table: "jobs",
                column: "finished_at",
                filter: "finished_at IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_project_created_at",
                schema: "batch",
                table: "jobs",
                columns: new[] { "project", "created_at" });

            migrationBuilder.CreateIndex(
                name: "ix_jobs_project_idempotency_key",
                schema: "batch",
                table: "jobs",
                columns: new[] { "project", "idempotency_key" },
                unique: true,
                filter: "idempotency_key IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_schedule_firing_id",
                schema: "batch",
                table: "jobs",
                column: "schedule_firing_id",
                unique: true,
                filter: "schedule_firing_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_jobs_status",
                schema: "batch",
                table: "jobs",
                column: "status");

            migrationBuilder.CreateIndex(
                name: "ix_model_prices_model_prefix_effective_from",
                schema: "batch",
                table: "model_prices",
                columns: new[] { "model_prefix", "effective_from" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_provider_accounts_is_default",
                schema: "batch",
                table: "provider_accounts",
                column: "is_default",
                unique: true,
                filter: "is_default");

            migrationBuilder.CreateIndex(
                name: "ix_provider_accounts_name",
                schema: "batch",
                table: "provider_accounts",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_provider_batch_polls_due_at",
                schema: "batch",
                table: "provider_batch_polls",
                column: "due_at");

            migrationBuilder.CreateIndex(
                name: "ix_provider_batches_account_id_provider_batch_id",
                schema: "batch",
                table: "provider_batches",
                columns: new[] { "account_id", "provider_batch_id" },
                unique: true,
                filter: "provider_batch_id IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "ix_provider_batches_job_id_status",
                schema: "batch",
                table: "provider_batches",
                columns: new[] { "job_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ix_provider_batches_open",
                schema: "batch",
                table: "provider_batches",
                column: "account_id",
                filter: "status IN (0, 1)")
                .Annotation("Npgsql:IndexInclude", new[] { "request_count" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "account_cap_pauses",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "account_monthly_spend",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "api_keys",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "cost_rollups",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_cache_warmups",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_chunk_activity",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_error_counts",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_input_blocks",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_minutes",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_rows",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_schedules",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "job_webhook_events",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "model_prices",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "model_settings",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "project_settings",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "provider_batch_polls",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "provider_batches",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "rate_budget_usage",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "jobs",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "rate_budgets",
                schema: "batch");

            migrationBuilder.DropTable(
                name: "provider_accounts",
                schema: "batch");
        }
    }
}
