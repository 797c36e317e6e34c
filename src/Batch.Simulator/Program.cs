using Batch.Simulator;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

var app = SimulatorApplication.Build(args);
await app.StartAsync();
// Logging stays at Warning for speed, so say where we listen ourselves (also when the port comes from ASPNETCORE_HTTP_PORTS).
var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
Console.WriteLine($"Batch.Simulator listening on {string.Join(", ", addresses)}");
await app.WaitForShutdownAsync();
