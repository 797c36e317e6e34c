namespace Batch.Simulator;

/// <summary>Builds the simulator web application; the one place both Program and <see cref="SimulatorServer"/> wire it up.</summary>
public static class SimulatorApplication
{
    public static WebApplication Build(string[] args, Action<SimulatorOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        // Per-request logging would cost more than the simulated work; configuration can still lower this.
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = MessagesApi.MaxRequestBytes);

        var options = new SimulatorOptions();
        builder.Configuration.GetSection(SimulatorOptions.SectionName).Bind(options);
        configure?.Invoke(options);
        builder.Services.AddSimulator(options, timeProvider);

        var app = builder.Build();
        app.MapSimulator();
        return app;
    }
}
