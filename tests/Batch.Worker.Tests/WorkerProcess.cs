using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Batch.Testing;

namespace Batch.Worker.Tests;

/// <summary>A real worker as a second OS process (<c>dotnet Batch.Worker.dll</c>), configured through environment variables.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private WorkerProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public IEnumerable<string> Output => _output;

    /// <summary>Rows this process recorded, summed from its chunks' log lines.</summary>
    public int RecordedRows => _output.Select(line => RecordedLine().Match(line))
        .Where(m => m.Success).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));

    public static WorkerProcess Start(string connectionString, IDictionary<string, string?> settings)
    {
        // The worker's own build output has its runtimeconfig and deps; the test's output folder has the test's.
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = RepositoryPaths.Combine("src", "Batch.Worker", "bin", configuration, "net10.0", "Batch.Worker.dll");
        var start = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["ConnectionStrings__Batch"] = connectionString;
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__LogLevel__Hangfire"] = "Warning";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = new Process { StartInfo = start };
        var worker = new WorkerProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) worker._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) worker._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits until its Hangfire servers announce themselves (the host has started).</summary>
    public Task WaitStartedAsync() => WorkerTestKit.WaitUntilAsync(
        () => Task.FromResult(_output.Any(line => line.Contains("Application started", StringComparison.Ordinal)) || _process.HasExited),
        TimeSpan.FromSeconds(60),
        () => $"worker process {Id} to start:\n{string.Join('\n', _output)}");

    /// <summary>SIGKILL: no shutdown, no flush, nothing.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM: the host's graceful shutdown.
            using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
            await term.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
            await _process.WaitForExitAsync(timeout.Token);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"done: recorded (\d+),")]
    private static partial Regex RecordedLine();
}
