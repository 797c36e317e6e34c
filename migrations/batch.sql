DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'batch') THEN
        CREATE SCHEMA batch;
    END IF;
END $EF$;
CREATE TABLE IF NOT EXISTS batch.__ef_migrations_history (
    migration_id character varying(150) NOT NULL,
    product_version character varying(32) NOT NULL,
    CONSTRAINT pk___ef_migrations_history PRIMARY KEY (migration_id)
);

START TRANSACTION;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
        IF NOT EXISTS(SELECT 1 FROM pg_namespace WHERE nspname = 'batch') THEN
            CREATE SCHEMA batch;
        END IF;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.api_keys (
        id uuid NOT NULL,
        project character varying(64) NOT NULL,
        name character varying(200) NOT NULL,
        key_hash bytea NOT NULL,
        prefix character varying(16) NOT NULL,
        is_admin boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        revoked_at timestamp with time zone,
        CONSTRAINT pk_api_keys PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.cost_rollups (
        id bigint GENERATED ALWAYS AS IDENTITY,
        hour timestamp with time zone NOT NULL,
        project character varying(64) NOT NULL,
        account_id uuid NOT NULL,
        model character varying(200) NOT NULL,
        job_id uuid NOT NULL,
        price_id uuid,
        delivery smallint NOT NULL DEFAULT 0,
        rows bigint NOT NULL,
        requests bigint NOT NULL,
        input_tokens bigint NOT NULL,
        cache_write_5m_tokens bigint NOT NULL,
        cache_write_1h_tokens bigint NOT NULL,
        cache_read_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cost_usd numeric(24,10) NOT NULL,
        cache_savings_usd numeric(24,10) NOT NULL,
        batch_savings_usd numeric(24,10) NOT NULL,
        CONSTRAINT pk_cost_rollups PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.model_prices (
        id uuid NOT NULL,
        model_prefix character varying(200) NOT NULL,
        effective_from timestamp with time zone NOT NULL,
        input_per_m_tok numeric(12,6) NOT NULL,
        cache_write5m_per_m_tok numeric(12,6) NOT NULL,
        cache_write1h_per_m_tok numeric(12,6) NOT NULL,
        cache_read_per_m_tok numeric(12,6) NOT NULL,
        output_per_m_tok numeric(12,6) NOT NULL,
        batch_multiplier numeric(6,4) NOT NULL DEFAULT 0.5,
        CONSTRAINT pk_model_prices PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.model_settings (
        model_prefix character varying(200) NOT NULL,
        model_class character varying(100) NOT NULL,
        min_cacheable_tokens integer NOT NULL,
        cache_reads_count_toward_input_tpm boolean NOT NULL,
        structured_outputs boolean NOT NULL DEFAULT FALSE,
        CONSTRAINT pk_model_settings PRIMARY KEY (model_prefix)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.project_settings (
        project character varying(64) NOT NULL,
        webhook_url character varying(2048),
        retention_days integer,
        updated_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_project_settings PRIMARY KEY (project)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.provider_accounts (
        id uuid NOT NULL,
        name character varying(64) NOT NULL,
        base_url character varying(500) NOT NULL,
        api_key_reference character varying(200) NOT NULL,
        api_version character varying(20) NOT NULL,
        rpm integer NOT NULL,
        input_tpm integer NOT NULL,
        output_tpm integer NOT NULL,
        output_budget_mode smallint NOT NULL,
        batch_window interval NOT NULL DEFAULT INTERVAL '1 00:00:00',
        batch_max_requests integer NOT NULL DEFAULT 100000,
        batch_max_bytes bigint NOT NULL DEFAULT 268435456,
        batch_queue_limit integer NOT NULL DEFAULT 100000,
        monthly_cost_limit_usd numeric(20,10),
        is_default boolean NOT NULL,
        created_at timestamp with time zone NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_provider_accounts PRIMARY KEY (id)
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.account_monthly_spend (
        account_id uuid NOT NULL,
        month date NOT NULL,
        cost_usd numeric(24,10) NOT NULL,
        CONSTRAINT pk_account_monthly_spend PRIMARY KEY (account_id, month),
        CONSTRAINT fk_account_monthly_spend_provider_accounts_account_id FOREIGN KEY (account_id) REFERENCES batch.provider_accounts (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.jobs (
        id uuid NOT NULL,
        project character varying(64) NOT NULL,
        name character varying(200) NOT NULL,
        status smallint NOT NULL,
        status_reason text,
        account_id uuid NOT NULL,
        model character varying(200) NOT NULL,
        system_prompt text,
        user_template text,
        max_tokens integer NOT NULL,
        max_cost_usd numeric(20,10),
        default_params jsonb NOT NULL,
        cache_ttl smallint NOT NULL,
        delivery_requested smallint NOT NULL DEFAULT 0,
        delivery smallint NOT NULL DEFAULT 0,
        delivery_reason text,
        deadline_at timestamp with time zone,
        deadline_after interval,
        priority integer NOT NULL,
        row_format smallint NOT NULL,
        output_schema json,
        output_mode smallint NOT NULL DEFAULT 0,
        schema_retries integer NOT NULL DEFAULT 1,
        columns text[] NOT NULL,
        cache_note text,
        id_column character varying(200),
        notes text[] NOT NULL DEFAULT ('{}'),
        first_rows_checked boolean NOT NULL DEFAULT FALSE,
        idempotency_key character varying(200),
        schedule_id uuid,
        schedule_firing_id character varying(100),
        webhook_url character varying(2048),
        webhook_attempts integer NOT NULL DEFAULT 0,
        webhook_last_status integer,
        webhook_last_error character varying(1000),
        webhook_last_attempt_at timestamp with time zone,
        deleted_at timestamp with time zone,
        created_by_key_id uuid,
        row_count integer NOT NULL,
        succeeded_rows integer NOT NULL,
        failed_rows integer NOT NULL,
        canceled_rows integer NOT NULL,
        expired_rows integer NOT NULL DEFAULT 0,
        input_tokens bigint NOT NULL,
        cache_write_5m_tokens bigint NOT NULL,
        cache_write_1h_tokens bigint NOT NULL,
        cache_read_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cost_usd numeric(20,10) NOT NULL,
        created_at timestamp with time zone NOT NULL,
        expires_at timestamp with time zone,
        started_at timestamp with time zone,
        finished_at timestamp with time zone,
        updated_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_jobs PRIMARY KEY (id),
        CONSTRAINT fk_jobs_provider_accounts_account_id FOREIGN KEY (account_id) REFERENCES batch.provider_accounts (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.rate_budgets (
        account_id uuid NOT NULL,
        model_class character varying(100) NOT NULL,
        rpm integer NOT NULL,
        input_tpm integer NOT NULL,
        output_tpm integer NOT NULL,
        requests_available double precision NOT NULL,
        input_tokens_available double precision NOT NULL,
        output_tokens_available double precision NOT NULL,
        refilled_at timestamp with time zone NOT NULL,
        paused_until timestamp with time zone,
        in_flight_requests integer NOT NULL,
        in_flight_input_tokens bigint NOT NULL,
        in_flight_output_tokens bigint NOT NULL,
        updated_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_rate_budgets PRIMARY KEY (account_id, model_class),
        CONSTRAINT fk_rate_budgets_provider_accounts_account_id FOREIGN KEY (account_id) REFERENCES batch.provider_accounts (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.account_cap_pauses (
        job_id uuid NOT NULL,
        account_id uuid NOT NULL,
        needed_usd numeric(20,10) NOT NULL,
        paused_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_account_cap_pauses PRIMARY KEY (job_id),
        CONSTRAINT fk_account_cap_pauses_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE,
        CONSTRAINT fk_account_cap_pauses_provider_accounts_account_id FOREIGN KEY (account_id) REFERENCES batch.provider_accounts (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_cache_warmups (
        job_id uuid NOT NULL,
        model text NOT NULL,
        warmer uuid NOT NULL,
        claimed_at timestamp with time zone NOT NULL,
        answered_at timestamp with time zone,
        CONSTRAINT pk_job_cache_warmups PRIMARY KEY (job_id, model),
        CONSTRAINT fk_job_cache_warmups_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_chunk_activity (
        job_id uuid NOT NULL,
        chunk_id uuid NOT NULL,
        claimed integer NOT NULL,
        in_flight integer NOT NULL,
        expires_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_job_chunk_activity PRIMARY KEY (job_id, chunk_id),
        CONSTRAINT fk_job_chunk_activity_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_error_counts (
        job_id uuid NOT NULL,
        error_type character varying(100) NOT NULL,
        rows integer NOT NULL,
        sample_message character varying(1000),
        CONSTRAINT pk_job_error_counts PRIMARY KEY (job_id, error_type),
        CONSTRAINT fk_job_error_counts_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_input_blocks (
        job_id uuid NOT NULL,
        first_seq integer NOT NULL,
        row_count integer NOT NULL,
        rows bytea COMPRESSION lz4 NOT NULL,
        CONSTRAINT pk_job_input_blocks PRIMARY KEY (job_id, first_seq),
        CONSTRAINT fk_job_input_blocks_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_minutes (
        job_id uuid NOT NULL,
        minute timestamp with time zone NOT NULL,
        succeeded_rows integer NOT NULL,
        failed_rows integer NOT NULL,
        input_tokens bigint NOT NULL,
        cache_write_5m_tokens bigint NOT NULL,
        cache_write_1h_tokens bigint NOT NULL,
        cache_read_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        cost_usd numeric(20,10) NOT NULL,
        CONSTRAINT pk_job_minutes PRIMARY KEY (job_id, minute),
        CONSTRAINT fk_job_minutes_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_rows (
        job_id uuid NOT NULL,
        seq integer NOT NULL,
        custom_id character varying(64) NOT NULL,
        input jsonb NOT NULL,
        status smallint NOT NULL,
        attempts smallint NOT NULL,
        lease_token uuid,
        lease_expires_at timestamp with time zone,
        output_content jsonb,
        output_text text,
        output_parsed json,
        stop_reason text,
        stop_sequence text,
        input_tokens integer NOT NULL,
        cache_write5m_tokens integer NOT NULL,
        cache_write1h_tokens integer NOT NULL,
        cache_read_tokens integer NOT NULL,
        output_tokens integer NOT NULL,
        message_id text,
        request_id text,
        response_model text,
        delivery smallint NOT NULL DEFAULT 0,
        model character varying(200),
        reserved_usd numeric(20,10),
        latency_ms integer,
        http_status smallint,
        error_type text,
        error_message text,
        cost_usd numeric(20,10),
        completed_at timestamp with time zone,
        CONSTRAINT pk_job_rows PRIMARY KEY (job_id, seq),
        CONSTRAINT fk_job_rows_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_schedules (
        id uuid NOT NULL,
        project character varying(64) NOT NULL,
        name character varying(200) NOT NULL,
        cron character varying(100) NOT NULL,
        time_zone character varying(100) NOT NULL,
        source_job_id uuid NOT NULL,
        enabled boolean NOT NULL,
        last_run_at timestamp with time zone,
        last_job_id uuid,
        created_at timestamp with time zone NOT NULL,
        CONSTRAINT pk_job_schedules PRIMARY KEY (id),
        CONSTRAINT fk_job_schedules_jobs_source_job_id FOREIGN KEY (source_job_id) REFERENCES batch.jobs (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.job_webhook_events (
        id uuid NOT NULL DEFAULT (gen_random_uuid()),
        job_id uuid NOT NULL,
        status smallint NOT NULL,
        url character varying(2048) NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamp with time zone NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamp with time zone NOT NULL,
        last_status integer,
        last_error character varying(1000),
        delivered_at timestamp with time zone,
        gave_up_at timestamp with time zone,
        CONSTRAINT pk_job_webhook_events PRIMARY KEY (id),
        CONSTRAINT fk_job_webhook_events_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.provider_batch_polls (
        job_id uuid NOT NULL,
        tick_id uuid NOT NULL,
        due_at timestamp with time zone NOT NULL,
        delay interval NOT NULL,
        CONSTRAINT pk_provider_batch_polls PRIMARY KEY (job_id),
        CONSTRAINT fk_provider_batch_polls_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.provider_batches (
        id uuid NOT NULL,
        job_id uuid NOT NULL,
        account_id uuid NOT NULL,
        provider_batch_id character varying(200),
        status smallint NOT NULL,
        first_seq integer NOT NULL,
        last_seq integer NOT NULL,
        request_count integer NOT NULL,
        bytes bigint NOT NULL,
        succeeded integer NOT NULL,
        errored integer NOT NULL,
        canceled integer NOT NULL,
        expired integer NOT NULL,
        created_at timestamp with time zone NOT NULL,
        submitted_at timestamp with time zone,
        cancel_requested_at timestamp with time zone,
        ended_at timestamp with time zone,
        imported_at timestamp with time zone,
        note text,
        CONSTRAINT pk_provider_batches PRIMARY KEY (id),
        CONSTRAINT fk_provider_batches_jobs_job_id FOREIGN KEY (job_id) REFERENCES batch.jobs (id) ON DELETE CASCADE,
        CONSTRAINT fk_provider_batches_provider_accounts_account_id FOREIGN KEY (account_id) REFERENCES batch.provider_accounts (id) ON DELETE RESTRICT
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE TABLE batch.rate_budget_usage (
        account_id uuid NOT NULL,
        model_class character varying(100) NOT NULL,
        slot_start timestamp with time zone NOT NULL,
        requests integer NOT NULL,
        input_tokens bigint NOT NULL,
        output_tokens bigint NOT NULL,
        rate_limited integer NOT NULL DEFAULT 0,
        CONSTRAINT pk_rate_budget_usage PRIMARY KEY (account_id, model_class, slot_start),
        CONSTRAINT fk_rate_budget_usage_rate_budgets_account_id_model_class FOREIGN KEY (account_id, model_class) REFERENCES batch.rate_budgets (account_id, model_class) ON DELETE CASCADE
    );
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000001', 0.5, 0.5, 10.0, 6.25, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 5.0, 'claude-opus-4-5', 25.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000002', 0.5, 0.5, 10.0, 6.25, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 5.0, 'claude-opus-4-6', 25.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000003', 0.5, 0.5, 10.0, 6.25, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 5.0, 'claude-opus-4-7', 25.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000004', 0.5, 0.3, 6.0, 3.75, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 3.0, 'claude-sonnet-4-5', 15.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000005', 0.5, 0.3, 6.0, 3.75, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 3.0, 'claude-sonnet-4-6', 15.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000006', 0.5, 0.1, 2.0, 1.25, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 1.0, 'claude-haiku-4-5', 5.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000007', 0.5, 1.5, 30.0, 18.75, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 15.0, 'claude-opus-4-1', 75.0);
    INSERT INTO batch.model_prices (id, batch_multiplier, cache_read_per_m_tok, cache_write1h_per_m_tok, cache_write5m_per_m_tok, effective_from, input_per_m_tok, model_prefix, output_per_m_tok)
    VALUES ('5fb1e1a0-0001-4000-8000-000000000008', 0.5, 0.2, 4.0, 2.5, TIMESTAMPTZ '2025-01-01T00:00:00+00:00', 2.0, 'claude-sonnet-5', 10.0);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class)
    VALUES ('claude-3-5-haiku', TRUE, 2048, 'haiku-3');
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class)
    VALUES ('claude-3-haiku', TRUE, 2048, 'haiku-3');
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class, structured_outputs)
    VALUES ('claude-haiku-4-5', FALSE, 4096, 'haiku-4.5', TRUE);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class)
    VALUES ('claude-opus-4-1', FALSE, 1024, 'opus-4.1');
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class, structured_outputs)
    VALUES ('claude-opus-4-5', FALSE, 4096, 'opus-4.5+', TRUE);
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class, structured_outputs)
    VALUES ('claude-opus-4-6', FALSE, 4096, 'opus-4.5+', TRUE);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class)
    VALUES ('claude-opus-4-7', FALSE, 4096, 'opus-4.5+');
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class)
    VALUES ('claude-sonnet-4', FALSE, 1024, 'sonnet-4');
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class, structured_outputs)
    VALUES ('claude-sonnet-4-5', FALSE, 1024, 'sonnet-4', TRUE);
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class, structured_outputs)
    VALUES ('claude-sonnet-4-6', FALSE, 1024, 'sonnet-4', TRUE);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.model_settings (model_prefix, cache_reads_count_toward_input_tpm, min_cacheable_tokens, model_class)
    VALUES ('claude-sonnet-5', FALSE, 2048, 'sonnet-5');
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_account_cap_pauses_account_id ON batch.account_cap_pauses (account_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_api_keys_key_hash ON batch.api_keys (key_hash);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_cost_rollups_job_id ON batch.cost_rollups (job_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ux_cost_rollups_bucket ON batch.cost_rollups (hour, project, account_id, model, job_id, price_id, delivery) NULLS NOT DISTINCT;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_rows_leased ON batch.job_rows (job_id, lease_expires_at) WHERE status = 1;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_rows_pending ON batch.job_rows (job_id, seq) WHERE status = 0;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_rows_recorded ON batch.job_rows (job_id, completed_at DESC) WHERE status IN (2, 3);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_rows_reserved ON batch.job_rows (job_id) INCLUDE (reserved_usd) WHERE status = 1 AND reserved_usd IS NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ux_job_rows_custom_id ON batch.job_rows (custom_id, job_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_schedules_project ON batch.job_schedules (project);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_schedules_source_job_id ON batch.job_schedules (source_job_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_webhook_events_job_id ON batch.job_webhook_events (job_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_job_webhook_events_next_attempt_at ON batch.job_webhook_events (next_attempt_at) WHERE delivered_at IS NULL AND gave_up_at IS NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_jobs_account_id ON batch.jobs (account_id);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_jobs_expires_at ON batch.jobs (expires_at) WHERE expires_at IS NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_jobs_finished_at ON batch.jobs (finished_at) WHERE finished_at IS NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_jobs_project_created_at ON batch.jobs (project, created_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_jobs_project_idempotency_key ON batch.jobs (project, idempotency_key) WHERE idempotency_key IS NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_jobs_schedule_firing_id ON batch.jobs (schedule_firing_id) WHERE schedule_firing_id IS NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_jobs_status ON batch.jobs (status);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_model_prices_model_prefix_effective_from ON batch.model_prices (model_prefix, effective_from);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_provider_accounts_is_default ON batch.provider_accounts (is_default) WHERE is_default;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_provider_accounts_name ON batch.provider_accounts (name);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_provider_batch_polls_due_at ON batch.provider_batch_polls (due_at);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE UNIQUE INDEX ix_provider_batches_account_id_provider_batch_id ON batch.provider_batches (account_id, provider_batch_id) WHERE provider_batch_id IS NOT NULL;
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_provider_batches_job_id_status ON batch.provider_batches (job_id, status);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    CREATE INDEX ix_provider_batches_open ON batch.provider_batches (account_id) INCLUDE (request_count) WHERE status IN (0, 1);
    END IF;
END $EF$;

DO $EF$
BEGIN
    IF NOT EXISTS(SELECT 1 FROM batch.__ef_migrations_history WHERE "migration_id" = '20261202173220_InitialCreate') THEN
    INSERT INTO batch.__ef_migrations_history (migration_id, product_version)
    VALUES ('20261202173220_InitialCreate', '10.0.15');
    END IF;
END $EF$;
COMMIT;

