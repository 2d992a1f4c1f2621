using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CustomLabels.Core.Notifications.Embedded;

/// <summary>Registers the embedded notifier: the SQLite feed and the mail and webhook deliveries.</summary>
internal static class NotificationsServiceCollectionExtensions
{
    public static IServiceCollection AddEmbeddedNotifications(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();
        services.AddSingleton(SqliteNotifier.Migration);
        services.AddHttpClient(WebhookNotificationSender.HttpClientName);
        services.AddSingleton<INotificationSender, SmtpNotificationSender>();
        services.AddSingleton<INotificationSender, WebhookNotificationSender>();
        services.AddSingleton<NotificationDelivery>();
        services.AddHostedService<NotificationDeliveryService>();
        services.AddSingleton<INotifier, SqliteNotifier>();
        return services;
    }
}
