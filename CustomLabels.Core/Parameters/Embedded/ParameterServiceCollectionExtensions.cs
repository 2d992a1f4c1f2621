using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Parameters.Embedded;

/// <summary>Registers the embedded Parameter Store.</summary>
internal static class ParameterServiceCollectionExtensions
{
    /// <summary>Adds the SQLite parameter store, its tables and its change outbox.</summary>
    public static IServiceCollection AddEmbeddedParameters(this IServiceCollection services)
    {
        services.AddSingleton(SqliteParameterStore.Migration);
        services.AddSingleton<ParameterChangeOutbox>();
        services.AddSingleton<IParameterStore, SqliteParameterStore>();
        return services;
    }
}
