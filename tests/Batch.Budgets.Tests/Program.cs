using System.Text.Json;
using Batch.Budgets.Tests;
using Batch.Messages;

// A second worker process for SharedBudgetTests: budget-worker <connection> <base url> <api key> <account id> <model> <seconds> <concurrency>.
if (args is ["budget-worker", var connectionString, var baseUrl, var apiKey, var accountId, var model, var seconds, var concurrency])
{
    await using var process = BudgetProcess.Start(connectionString);
    var account = new MessagesAccount(Guid.Parse(accountId), "child", new Uri(baseUrl), apiKey, "2023-06-01");
    var totals = await SendLoop.RunAsync(
        process, account, model, Guid.NewGuid(), int.Parse(concurrency, System.Globalization.CultureInfo.InvariantCulture),
        SharedBudgetTests.MaxTokens, SharedBudgetTests.PromptCharacters,
        TimeSpan.FromSeconds(double.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture)), CancellationToken.None);
    Console.WriteLine(JsonSerializer.Serialize(totals));
    return 0;
}
return 2;
