using System.Security.Claims;

namespace Batch.Api.Authentication;

/// <summary>Who is calling: the project their key belongs to, and whether it is an admin key (which sees every project).</summary>
public sealed record Caller(string Project, bool IsAdmin, Guid? KeyId)
{
    public bool CanSee(string project) => IsAdmin || project == Project;
}

public static class CallerExtensions
{
    public static Caller ToCaller(this ClaimsPrincipal user) => new(
        user.FindFirstValue(BatchClaims.Project) ?? throw new InvalidOperationException("An authenticated caller always has a project claim."),
        user.IsInRole(BatchClaims.AdminRole),
        Guid.TryParse(user.FindFirstValue(BatchClaims.KeyId), out var keyId) ? keyId : null);
}
