using CustomLabels.Core.Data;
using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Accounts.Embedded;

/// <summary>Registers users and API keys in the embedded database.</summary>
internal static class AccountsServiceCollectionExtensions
{
    public static IServiceCollection AddEmbeddedAccounts(this IServiceCollection services)
    {
        services.AddSingleton<ISqliteMigration>(SqliteAccountStore.Migration);
        services.AddSingleton<ISqliteMigration>(SqliteAccountStore.IdMigration);
        services.AddSingleton<ISqliteMigration>(SqliteAccountStore.SecurityStampMigration);
        services.AddSingleton<IAccountStore, SqliteAccountStore>();
        return services;
    }
}
