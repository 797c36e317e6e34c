using Batch.Data;
using Batch.Jobs;

namespace Batch.Api;

/// <summary>Builds the API host; Program.cs runs it and tests start the same host on a loopback port.</summary>
public static class BatchApiApplication
{
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.AddBatchData();
        builder.AddBatchHangfireStorage();
        builder.AddBatchApi();

        var app = builder.Build();
        app.MapBatchApi();
        return app;
    }
}
