using System.Security.Cryptography;
using System.Text;

namespace Batch.Api.Authentication;

/// <summary>Makes new API keys and the hashes they are stored and looked up by; a key itself is never stored.</summary>
public static class ApiKeyHasher
{
    private const string KeyPrefix = "bk_";

    public static string NewKey() => KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>
    /// A short one-way mark of a key, so a browser session can tell that the configured admin key changed without the
    /// session holding the key.
    /// </summary>
    public static string Fingerprint(string key) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes("batch-session:" + key)), 0, 12);

    /// <summary>The first characters of a key, enough for a person to tell keys apart in a list.</summary>
    public static string DisplayPrefix(string key) => key.Length <= 10 ? key : key[..10];

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
