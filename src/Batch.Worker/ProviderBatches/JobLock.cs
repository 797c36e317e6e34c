using Npgsql;

namespace Batch.Worker.ProviderBatches;

/// <summary>
/// One tick of a job at a time, across every worker process: a session advisory lock on a connection held for the tick.
/// A process that dies loses its connection, and PostgreSQL releases the lock with it.
/// </summary>
internal sealed class JobLock : IAsyncDisposable
{
    private const string Key = "hashtextextended('batch.provider_batches:' || $1::text, 0)";

    private readonly NpgsqlConnection _connection;
    private readonly Guid _jobId;

    private JobLock(NpgsqlConnection connection, Guid jobId) => (_connection, _jobId) = (connection, jobId);

    /// <summary>The lock, or null when another tick of the job holds it.</summary>
    public static async Task<JobLock?> TryTakeAsync(NpgsqlDataSource dataSource, Guid jobId, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({Key})", connection);
        command.Parameters.Add(new() { Value = jobId });
        if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            return new JobLock(connection, jobId);
        }
        await connection.DisposeAsync();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({Key})", _connection);
            command.Parameters.Add(new() { Value = _jobId });
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
