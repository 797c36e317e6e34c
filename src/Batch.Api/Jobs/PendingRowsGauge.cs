using System.Diagnostics;
using System.Diagnostics.Metrics;
using Batch.Data.Entities;
using Batch.Telemetry;
using Npgsql;

namespace Batch.Api.Jobs;

/// <summary>
/// The <c>batch.job.pending_rows</c> gauge, read from the jobs' counters (never a scan of their rows) at most every few
/// seconds, however often it is scraped. The API serves it, so it is reported once however many workers run.
/// </summary>
internal sealed class PendingRowsGauge
{
    private static readonly TimeSpan FreshFor = TimeSpan.FromSeconds(5);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private List<Measurement<long>> _last = [];
    private long _readAt;

    public PendingRowsGauge(NpgsqlDataSource dataSource, BatchMetrics metrics, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;
        metrics.ObservePendingRows(Observe);
    }

    private List<Measurement<long>> Observe()
    {
        lock (_lock)
        {
            if (_readAt != 0 && _time.GetElapsedTime(_readAt) < FreshFor)
            {
                return _last;
            }
            var measurements = new List<Measurement<long>>();
            try
            {
                // Observable instruments are read synchronously by the exporter.
                using var command = _dataSource.CreateCommand($"""
                    SELECT id, name, greatest(row_count - succeeded_rows - failed_rows - canceled_rows, 0)
                    FROM batch.jobs WHERE status IN ({(short)JobStatus.Queued}, {(short)JobStatus.Running}) AND deleted_at IS NULL
                    """);
                command.CommandTimeout = 5;
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    measurements.Add(new Measurement<long>(reader.GetInt32(2),
                        new TagList { { "batch.job.id", reader.GetGuid(0).ToString() }, { "batch.job.name", reader.GetString(1) } }));
                }
            }
            catch (Exception e) when (e is NpgsqlException or TimeoutException)
            {
                // A scrape while the database is away shows the last figures rather than failing the whole scrape.
                return _last;
            }
            _last = measurements;
            _readAt = _time.GetTimestamp();
            return measurements;
        }
    }
}
