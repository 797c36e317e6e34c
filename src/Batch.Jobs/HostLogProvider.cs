using Hangfire.AspNetCore;
using Hangfire.Logging;
using Microsoft.Extensions.Logging;

namespace Batch.Jobs;

/// <summary>
/// Hangfire's loggers from a host's <see cref="ILoggerFactory"/>. Hangfire keeps one log provider per process, set by the host
/// that configured it last: where several hosts share a process (the tests) and that host has stopped, its factory is disposed,
/// and every component another host then builds would throw. Such a provider gives silent loggers instead.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory loggerFactory) : ILogProvider
{
    private readonly AspNetCoreLogProvider _host = new(loggerFactory);

    public ILog GetLogger(string name)
    {
        try
        {
            return _host.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return SilentLog.Instance;
        }
    }

    private sealed class SilentLog : ILog
    {
        public static readonly SilentLog Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}
