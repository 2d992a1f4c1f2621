using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Detections.Embedded;

/// <summary>Registers the embedded detection log (SQLite).</summary>
internal static class DetectionsServiceCollectionExtensions
{
    public static IServiceCollection AddEmbeddedDetections(this IServiceCollection services)
    {
        services.AddSingleton(SqliteDetectionLog.Migration);
        services.AddSingleton(SqliteDetectionLog.RejectedKeyMigration);
        services.AddSingleton(SqliteDetectionLog.RequesterIdMigration);
        services.AddSingleton(SqliteDetectionLog.ObjectKeyMigration);
        services.AddSingleton<IDetectionLog, SqliteDetectionLog>();
        return services;
    }
}
