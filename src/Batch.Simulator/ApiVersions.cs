namespace Batch.Simulator;

/// <summary>The <c>anthropic-version</c> values the simulator speaks; validation differs by version.</summary>
internal static class ApiVersions
{
    public const string HeaderName = "anthropic-version";
    public const string V20230601 = "2023-06-01";

    /// <summary>Drops temperature/top_p/top_k and lets the key come as <c>Authorization: Bearer</c>.</summary>
    public const string V20261021 = "2026-10-21";

    public static bool IsKnown(string? version) => version is V20230601 or V20261021;
}
