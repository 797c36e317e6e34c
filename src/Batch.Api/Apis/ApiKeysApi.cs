using System.Text.RegularExpressions;
using Batch.Api.Authentication;
using Batch.Api.Problems;
using Batch.Data;
using Batch.Data.Entities;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Apis;

/// <summary>API keys, for admins: a key belongs to a project and sees only that project's jobs. The key is shown once; only its hash is kept.</summary>
public static partial class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeysApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/keys").WithTags("API keys").RequireAuthorization(BatchPolicies.Admin);
        api.MapPost("/", CreateAsync)
            .WithName("CreateApiKey")
            .WithSummary("Create a key for a project; the answer holds the key, shown this once.")
            .WithDescription("""
                ```json
                {"project": "team-a", "name": "nightly import", "is_admin": false}
                ```
                Answer (201): `{"id": "...", "key": "bk_...", "prefix": "bk_AbCdEfG", "project": "team-a", "name": "nightly import", "is_admin": false, "created_at": "..."}`
                """);
        api.MapGet("/", ListAsync)
            .WithName("ListApiKeys")
            .WithSummary("List keys (prefix, project, name, created, revoked), never the keys themselves.");
        api.MapDelete("/{id:guid}", RevokeAsync)
            .WithName("RevokeApiKey")
            .WithSummary("Revoke a key: it stops working at once; the record stays for the audit trail.");
        return app;
    }

    public sealed record CreateApiKeyRequest(string Project, string Name, bool IsAdmin = false);

    public sealed record ApiKeyCreated(Guid Id, string Key, string Prefix, string Project, string Name, bool IsAdmin, DateTimeOffset CreatedAt);

    public sealed record ApiKeyResponse(Guid Id, string Prefix, string Project, string Name, bool IsAdmin, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt)
    {
        public static ApiKeyResponse From(ApiKey key) => new(key.Id, key.Prefix, key.Project, key.Name, key.IsAdmin, key.CreatedAt, key.RevokedAt);
    }

    private static async Task<Results<Created<ApiKeyCreated>, ProblemHttpResult>> CreateAsync(
        CreateApiKeyRequest request, BatchDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        if (request.Project is null || !ProjectName().IsMatch(request.Project))
        {
            return ProblemResults.Field("project", "1 to 64 lowercase letters, digits, '_' or '-', starting with a letter or digit.");
        }
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 200)
        {
            return ProblemResults.Field("name", "1 to 200 characters that say what the key is for.");
        }
        var key = ApiKeyHasher.NewKey();
        var stored = new ApiKey
        {
            Id = Guid.CreateVersion7(),
            Project = request.Project,
            Name = request.Name,
            KeyHash = ApiKeyHasher.Hash(key),
            Prefix = ApiKeyHasher.DisplayPrefix(key),
            IsAdmin = request.IsAdmin,
            CreatedAt = time.GetUtcNow(),
        };
        db.ApiKeys.Add(stored);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/keys/{stored.Id}",
            new ApiKeyCreated(stored.Id, key, stored.Prefix, stored.Project, stored.Name, stored.IsAdmin, stored.CreatedAt));
    }

    private static async Task<Ok<List<ApiKeyResponse>>> ListAsync(BatchDbContext db, CancellationToken cancellationToken, string? project = null)
    {
        var keys = db.ApiKeys.AsNoTracking();
        if (project is not null)
        {
            keys = keys.Where(k => k.Project == project);
        }
        var list = await keys.OrderBy(k => k.Project).ThenBy(k => k.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(list.Select(ApiKeyResponse.From).ToList());
    }

    private static async Task<Results<Ok<ApiKeyResponse>, ProblemHttpResult>> RevokeAsync(Guid id, BatchDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var key = await db.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null)
        {
            return ProblemResults.NotFound("API key");
        }
        key.RevokedAt ??= time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(ApiKeyResponse.From(key));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex ProjectName();
}
