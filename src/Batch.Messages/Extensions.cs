using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace Batch.Messages;

public static class Extensions
{
    /// <summary>Registers <see cref="IMessagesClient"/> and <see cref="IProviderBatchesClient"/> (one named HttpClient per account) and <see cref="MessagesResilience"/>, configured from <c>Batch:Messages</c>.</summary>
    public static IHostApplicationBuilder AddBatchMessages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddBatchMessages(builder.Configuration.GetSection(MessagesOptions.SectionName));
        return builder;
    }

    public static IServiceCollection AddBatchMessages(this IServiceCollection services, IConfiguration section)
    {
        services.Configure<MessagesOptions>(section);
        services.AddHttpClient();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IConfigureOptions<HttpClientFactoryOptions>, MessagesHttpClients>();
        services.AddSingleton<IMessagesClient, MessagesClient>();
        services.AddSingleton<IProviderBatchesClient, ProviderBatchesClient>();
        services.AddSingleton<MessagesResilience>();
        return services;
    }
}
