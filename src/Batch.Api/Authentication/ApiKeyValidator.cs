using System.Security.Claims;
using System.Security.Cryptography;
using Batch.Data;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Authentication;

/// <summary>Turns a presented key into a caller: the configured bootstrap admin key, or a live key from the database.</summary>
public sealed class ApiKeyValidator(BatchDbContext db, IConfiguration configuration)
{
    public const string AdminProject = "admin";

    public async Task<ClaimsIdentity?> ValidateAsync(string presentedKey, string authenticationType, CancellationToken cancellationToken)
    {
        var hash = ApiKeyHasher.Hash(presentedKey);

        var adminKey = configuration["Batch:AdminApiKey"];
        if (!string.IsNullOrEmpty(adminKey) && CryptographicOperations.FixedTimeEquals(hash, ApiKeyHasher.Hash(adminKey)))
        {
            return Identity(authenticationType, AdminProject, keyId: null, isAdmin: true);
        }

        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.KeyHash == hash && k.RevokedAt == null)
            .Select(k => new { k.Id, k.Project, k.IsAdmin })
            .SingleOrDefaultAsync(cancellationToken);
        return key is null ? null : Identity(authenticationType, key.Project, key.Id, key.IsAdmin);
    }

    private static ClaimsIdentity Identity(string authenticationType, string project, Guid? keyId, bool isAdmin)
    {
        var identity = new ClaimsIdentity(authenticationType);
        identity.AddClaim(new Claim(BatchClaims.Project, project));
        identity.AddClaim(new Claim(ClaimTypes.Name, project));
        if (keyId is not null)
        {
            identity.AddClaim(new Claim(BatchClaims.KeyId, keyId.Value.ToString()));
        }
        if (isAdmin)
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, BatchClaims.AdminRole));
        }
        return identity;
    }
}
