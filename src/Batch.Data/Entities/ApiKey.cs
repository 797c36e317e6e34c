namespace Batch.Data.Entities;

/// <summary>A REST client's key. Only its SHA-256 hash is stored; <see cref="Prefix"/> lets people tell keys apart.</summary>
public class ApiKey
{
    public Guid Id { get; set; }
    public required string Project { get; set; }
    public required string Name { get; set; }
    public required byte[] KeyHash { get; set; }
    public required string Prefix { get; set; }
    public bool IsAdmin { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? RevokedAt { get; set; }
}
