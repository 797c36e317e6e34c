using System.Diagnostics;
using System.Text.Json;
using Batch.Testing;

namespace Batch.Batches.Tests;

/// <summary>
/// The official TypeScript SDK, unchanged, as the client: <c>tests/sdk-typescript/batches.mjs</c> runs in node against the
/// real API (its packages come from the committed lock file, installed by <c>npm ci</c> in <c>./batch test</c> and CI).
/// </summary>
public sealed class TypeScriptSdkTests(BatchesFixture fixture) : IClassFixture<BatchesFixture>
{
    [Fact]
    public async Task The_typescript_sdk_creates_polls_reads_lists_cancels_and_deletes()
    {
        var script = Path.Combine(RepositoryPaths.Root, "tests", "sdk-typescript");
        Assert.True(Directory.Exists(Path.Combine(script, "node_modules", "@anthropic-ai", "sdk")),
            "Run 'npm ci' in tests/sdk-typescript first (./batch test does).");
        var start = new ProcessStartInfo("node", "batches.mjs")
        {
            WorkingDirectory = script,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["BATCH_BASE_URL"] = fixture.Api.BaseUrl.ToString().TrimEnd('/'),
                ["BATCH_API_KEY"] = await fixture.CreateKeyAsync("ts-sdk"),
            },
        };
        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await node.WaitForExitAsync(deadline.Token);
        Assert.True(node.ExitCode == 0, $"node exited with {node.ExitCode}: {await errors}");

        using var seen = JsonDocument.Parse(await output);
        var root = seen.RootElement;
        Assert.StartsWith("msgbatch_", root.GetProperty("created").GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("in_progress", root.GetProperty("created").GetProperty("processing_status").GetString());
        Assert.Equal(20, root.GetProperty("ended").GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.StartsWith(fixture.Api.BaseUrl.ToString(), root.GetProperty("ended").GetProperty("results_url").GetString(), StringComparison.Ordinal);
        var results = root.GetProperty("results").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
        Assert.Equal(Enumerable.Range(0, 20).ToDictionary(i => $"ts-{i}", i => (string?)(i % 2 == 0 ? "claude-sonnet-4-5" : "claude-haiku-4-5")), results);
        Assert.Equal(root.GetProperty("newest").EnumerateArray().Select(e => e.GetString()), root.GetProperty("listed").EnumerateArray().Select(e => e.GetString()));
        Assert.True(root.GetProperty("cancelInitiated").GetBoolean());
        var canceled = root.GetProperty("canceled");
        Assert.True(canceled.GetProperty("canceled").GetInt32() > 0);
        Assert.Equal(2000, canceled.GetProperty("canceled").GetInt32() + canceled.GetProperty("succeeded").GetInt32() + canceled.GetProperty("errored").GetInt32());
        Assert.Equal("message_batch_deleted", root.GetProperty("deleted").GetProperty("type").GetString());
        Assert.StartsWith("NotFoundError", root.GetProperty("afterDelete").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("BadRequestError", root.GetProperty("badRequest").GetString(), StringComparison.Ordinal);
        Assert.Contains("requests.1.params.messages.0.role", root.GetProperty("badRequest").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("AuthenticationError", root.GetProperty("wrongKey").GetString(), StringComparison.Ordinal);
    }
}
