using System.Diagnostics;

namespace Batch.Telemetry;

/// <summary>
/// Batch's spans (the activity source <see cref="SourceName"/>): an upload; a row, with a span per Messages call and per
/// wait for rate budget under it. They are only exported when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.
/// </summary>
public static class BatchActivities
{
    public const string SourceName = "Batch";

    public static readonly ActivitySource Source = new(SourceName);
}
