using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Review.Embedded;

/// <summary>Registers the embedded human review (SQLite).</summary>
internal static class ReviewServiceCollectionExtensions
{
    public static IServiceCollection AddEmbeddedReview(this IServiceCollection services)
    {
        services.AddOptions<ReviewOptions>().BindConfiguration(ReviewOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(SqliteHumanReview.Migration);
        services.AddSingleton(SqliteHumanReview.AnswerRegionMigration);
        services.AddSingleton<SqliteHumanReview>();
        services.AddSingleton<IHumanReview>(sp => sp.GetRequiredService<SqliteHumanReview>());
        services.AddHostedService(sp => sp.GetRequiredService<SqliteHumanReview>());
        return services;
    }
}
