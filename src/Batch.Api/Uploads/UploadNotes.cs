using Batch.Data;
using Microsoft.EntityFrameworkCore;

namespace Batch.Api.Uploads;

/// <summary>
/// Warnings an upload gives without refusing it (gateways serve models Batch has never heard of): they go into the job's
/// <c>notes</c>, shown with the upload's answer and the job's status.
/// </summary>
public static class UploadNotes
{
    public static async Task<List<string>> ForModelAsync(BatchDbContext db, string model, CancellationToken cancellationToken)
    {
        var notes = new List<string>();
        if (model.Length == 0)
        {
            return notes;
        }
        var priced = await db.ModelPrices.AnyAsync(p => model.StartsWith(p.ModelPrefix), cancellationToken);
        var known = await db.ModelSettings.AnyAsync(s => model.StartsWith(s.ModelPrefix), cancellationToken);
        if (!priced && !known)
        {
            notes.Add($"No price and no model_settings row match the model '{model}': is it spelt right? Its rows will cost 0 here and " +
                "it gets a rate-limit class of its own with the account's limits. If a gateway serves this model, add its price (POST /api/prices).");
        }
        return notes;
    }
}
