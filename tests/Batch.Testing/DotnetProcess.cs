using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Batch.Testing;

/// <summary>
/// One of Batch's programs as an OS process of its own (<c>dotnet Batch.X.dll</c> from its build output), configured
/// through environment variables: what a deployment runs, with only the assemblies that program ships.
/// </summary>
public sealed class DotnetProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private DotnetProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public IEnumerable<string> Output => _output;

    /// <summary>The build output folder of <paramref name="project"/> (e.g. Batch.Api), in the configuration the tests were built in.</summary>
    public static string BuildOutput(string project)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        return RepositoryPaths.Combine("src", project, "bin", configuration, "net10.0");
    }

    /// <param name="settings">Configuration keys (<c>Section:Key</c>), passed as <c>Section__Key</c> environment variables.</param>
    public static DotnetProcess Start(string project, IDictionary<string, string?> settings, params string[] arguments)
    {
        // The program's own build output has its runtimeconfig and deps; the test's output folder has the test's.
        var dll = Path.Combine(BuildOutput(project), project + ".dll");
        var start = new ProcessStartInfo("dotnet", [dll, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__LogLevel__Hangfire"] = "Warning";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        // Processes of parallel tests must not share the default metrics port; a test that scrapes gives a free one.
        start.Environment["Batch__Worker__MetricsPort"] = "0";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = new Process { StartInfo = start };
        var started = new DotnetProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) started._output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) started._output.Enqueue(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>A TCP port nothing listens on right now, for a child process that must listen on a known one.</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits until the host says it has started (or the process has exited, which the caller's next step shows).</summary>
    public async Task WaitStartedAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (!_output.Any(line => line.Contains("Application started", StringComparison.Ordinal)) && !_process.HasExited)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for process {Id} to start:\n{string.Join('\n', _output)}");
            }
            await Task.Delay(50);
        }
    }

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
}
