namespace Batch.Api.Authentication;

/// <summary>Claims that the API key handler puts on a caller.</summary>
public static class BatchClaims
{
    public const string Project = "batch:project";
    public const string KeyId = "batch:key_id";

    /// <summary>On the bootstrap admin key's caller: <see cref="ApiKeyHasher.Fingerprint"/> of the key.</summary>
    public const string BootstrapKey = "batch:bootstrap_key";
    public const string AdminRole = "admin";
}

public static class BatchPolicies
{
    public const string Admin = "admin";
}
