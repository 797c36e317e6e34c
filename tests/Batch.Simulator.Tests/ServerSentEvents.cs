using System.Text.Json;

namespace Batch.Simulator.Tests;

/// <summary>Parses a complete SSE body into (event, data) pairs, insisting on the API's framing.</summary>
internal static class ServerSentEvents
{
    public static List<(string Event, JsonElement Data)> Parse(string body)
    {
        var events = new List<(string, JsonElement)>();
        foreach (var frame in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = frame.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            var data = JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone();
            var name = lines[0]["event: ".Length..];
            Assert.Equal(name, data.GetProperty("type").GetString());
            events.Add((name, data));
        }
        return events;
    }
}
