using System.Globalization;
using System.Text.RegularExpressions;
using Batch.Testing;

namespace Batch.Worker.Tests;

/// <summary>A real worker as a second OS process (<c>dotnet Batch.Worker.dll</c>), configured through environment variables.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly DotnetProcess _process;

    private WorkerProcess(DotnetProcess process) => _process = process;

    public int Id => _process.Id;

    public IEnumerable<string> Output => _process.Output;

    /// <summary>Rows this process recorded, summed from its chunks' log lines.</summary>
    public int RecordedRows => Output.Select(line => RecordedLine().Match(line))
        .Where(m => m.Success).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    public static WorkerProcess Start(string connectionString, IDictionary<string, string?> settings)
    {
        var all = new Dictionary<string, string?>(settings);
        all.TryAdd("ConnectionStrings:Batch", connectionString);
        return new(DotnetProcess.Start("Batch.Worker", all));
    }

    /// <summary>Waits until its host has started.</summary>
    public Task WaitStartedAsync() => _process.WaitStartedAsync();

    /// <summary>SIGKILL: no shutdown, no flush, nothing.</summary>
    public void Kill() => _process.Kill();

    public Task StopAsync() => _process.StopAsync();

    public void Dispose() => _process.Dispose();

    [GeneratedRegex(@"done: recorded (\d+),")]
    private static partial Regex RecordedLine();
}
