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
            var identity = Identity(authenticationType, AdminProject, keyId: null, isAdmin: true);
            identity.AddClaim(new Claim(BatchClaims.BootstrapKey, ApiKeyHasher.Fingerprint(adminKey)));
            return identity;
        }

        var key = await db.ApiKeys.AsNoTracking()
            .Where(k => k.KeyHash == hash && k.RevokedAt == null)
            .Select(k => new { k.Id, k.Project, k.IsAdmin })
            .SingleOrDefaultAsync(cancellationToken);
        return key is null ? null : Identity(authenticationType, key.Project, key.Id, key.IsAdmin);
    }

    /// <summary>
    /// Whether a signed-in browser's key still opens the dashboard: its database key is live and admin, or the bootstrap
    /// admin key it signed in with is still the configured one.
    /// </summary>
    public async Task<bool> IsStillAdminAsync(ClaimsPrincipal user, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(user.FindFirstValue(BatchClaims.KeyId), out var keyId))
        {
            return await db.ApiKeys.AsNoTracking().AnyAsync(k => k.Id == keyId && k.RevokedAt == null && k.IsAdmin, cancellationToken);
        }
        var adminKey = configuration["Batch:AdminApiKey"];
        return !string.IsNullOrEmpty(adminKey) && user.FindFirstValue(BatchClaims.BootstrapKey) == ApiKeyHasher.Fingerprint(adminKey);
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
