namespace Batch.Api.Authentication;

/// <summary>Claims that the API key handler puts on a caller.</summary>
public static class BatchClaims
{
    public const string Project = "batch:project";
    public const string KeyId = "batch:key_id";
    public const string AdminRole = "admin";
}

public static class BatchPolicies
{
    public const string Admin = "admin";
}
