using Batch.Data.Entities;
using Batch.Jobs;
using Batch.Testing;
using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.PostgreSql.Factories;
using Hangfire.States;
using Npgsql;
using static Batch.Worker.Tests.WorkerTestKit;

namespace Batch.Worker.Tests;

/// <summary>A schedule's firing killed (SIGKILL) after it created its job, then retried by Hangfire in another worker process.</summary>
public class ScheduleFiringTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [Fact]
    public async Task A_firing_retried_after_its_worker_was_killed_starts_the_job_it_created_and_copies_nothing()
    {
        await using var simulator = await StartSimulatorAsync();
        // A job fetched by a dead process runs again once this passes: seconds here, minutes by default.
        var settings = Settings(database, simulator, new() { ["Batch:Hangfire:InvisibilityTimeout"] = "00:00:05" });
        using var first = WorkerProcess.Start(database.ConnectionString, settings);
        await first.WaitStartedAsync();
        var sourceId = await CreateTemplateJobAsync(database, rows: 3, systemPrompt: null);
        var scheduleId = Guid.CreateVersion7();
        await using (var db = database.CreateContext())
        {
            db.JobSchedules.Add(new JobSchedule
            {
                Id = scheduleId, Project = "test", Name = "Nightly", Cron = "0 6 * * *", SourceJobId = sourceId, CreatedAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        // The firing waits on the schedule's row, held here, until the test is ready for it.
        await using var scheduleLock = await database.DataSource.OpenConnectionAsync();
        await using var scheduleTransaction = await scheduleLock.BeginTransactionAsync();
        await ExecuteAsync(scheduleLock, "SELECT 1 FROM batch.job_schedules WHERE id = $1 FOR UPDATE", scheduleId);
        var firingId = Hangfire(database).Create<IScheduleRunner>(
            runner => runner.RunAsync(scheduleId, "Nightly", null, CancellationToken.None), new EnqueuedState(BatchQueues.Control));
        await WaitUntilAsync(async () => await StateOfAsync(firingId) == ProcessingState.StateName, TimeSpan.FromSeconds(30), () => "the firing to run");

        // Enqueuing the new job's start (Hangfire's job table) blocks, so the kill lands after the copy committed and before the start.
        await using var hangfireLock = await database.DataSource.OpenConnectionAsync();
        await using var hangfireTransaction = await hangfireLock.BeginTransactionAsync();
        await ExecuteAsync(hangfireLock, "LOCK TABLE hangfire.job IN EXCLUSIVE MODE", null);
        await scheduleTransaction.CommitAsync();
        await WaitUntilAsync(async () => await CountCopiesAsync(scheduleId) == 1, TimeSpan.FromSeconds(30), () => "the firing's copy");
        first.Kill();
        await hangfireTransaction.RollbackAsync();

        using var second = WorkerProcess.Start(database.ConnectionString, settings);
        await WaitUntilAsync(async () => await StateOfAsync(firingId) == SucceededState.StateName, TimeSpan.FromSeconds(60),
            () => $"the retried firing to succeed:\n{string.Join('\n', second.Output)}");
        Guid copyId;
        await using (var db = database.CreateContext())
        {
            copyId = db.Jobs.Single(j => j.ScheduleId == scheduleId).Id;
            Assert.Equal(firingId, db.Jobs.Single(j => j.Id == copyId).ScheduleFiringId);
        }
        var copy = await WaitForStatusAsync(database, copyId, JobStatus.Completed);

        Assert.Equal(1, await CountCopiesAsync(scheduleId));
        Assert.Equal(3, copy.Counters.SucceededRows);
        Assert.Contains(second.Output, line => line.Contains("ran before and created job", StringComparison.Ordinal));
        await second.StopAsync();
    }

    private static IBackgroundJobClient Hangfire(PostgresDatabase database)
    {
        global::Hangfire.Logging.LogProvider.SetCurrentLogProvider(null);
        var options = new PostgreSqlStorageOptions { SchemaName = PostgresServer.HangfireSchema, PrepareSchemaIfNecessary = false };
        return new BackgroundJobClient(new PostgreSqlStorage(new NpgsqlConnectionFactory(database.ConnectionString, options), options));
    }

    private async Task<string?> StateOfAsync(string hangfireJobId)
    {
        await using var command = database.DataSource.CreateCommand("SELECT statename FROM hangfire.job WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = long.Parse(hangfireJobId, System.Globalization.CultureInfo.InvariantCulture) });
        return await command.ExecuteScalarAsync() as string;
    }

    private Task<long> CountCopiesAsync(Guid scheduleId) =>
        ScalarAsync(database, "SELECT count(*) FROM batch.jobs WHERE schedule_id = $1", scheduleId);

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, Guid? id)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        if (id is { } value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        await command.ExecuteNonQueryAsync();
    }
}
