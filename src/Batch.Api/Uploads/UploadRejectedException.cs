using Batch.Api.Problems;

namespace Batch.Api.Uploads;

/// <summary>Stops an upload at once: the file cannot be read further (too large, wrong type, broken encoding).</summary>
public sealed class UploadRejectedException : Exception
{
    public UploadRejectedException()
    {
        Error = UploadError.ForField("file", "The upload was rejected.");
    }

    public UploadRejectedException(string message) : this(StatusCodes.Status400BadRequest, "The request is not valid", UploadError.ForField("file", message))
    {
    }

    public UploadRejectedException(string message, Exception innerException) : base(message, innerException)
    {
        Error = UploadError.ForField("file", message);
    }

    public UploadRejectedException(int statusCode, string title, UploadError error) : base(error.Message)
    {
        StatusCode = statusCode;
        Title = title;
        Error = error;
    }

    public int StatusCode { get; } = StatusCodes.Status400BadRequest;

    public string Title { get; } = "The request is not valid";

    public UploadError Error { get; }

    public static UploadRejectedException TooLarge(long limit) => new(
        StatusCodes.Status413PayloadTooLarge, "The file is too large",
        UploadError.ForField("file", $"The file is larger than the upload limit of {limit:N0} bytes (Batch:Uploads:MaxFileBytes)."));

    /// <summary>A 422 that ends reading: the error joins those already found in the file.</summary>
    public static UploadRejectedException InFile(UploadError error) => new(StatusCodes.Status422UnprocessableEntity, "The file has errors; nothing was stored", error);
}
