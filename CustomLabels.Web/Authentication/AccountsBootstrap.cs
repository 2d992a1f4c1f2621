using CustomLabels.Core;
using CustomLabels.Core.Accounts;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace CustomLabels.Web.Authentication;

/// <summary>
/// At start: creates the first operator from <c>CustomLabels:InitialOperator</c> when it is configured and no user
/// exists; otherwise, when no user exists, opens the one-time setup and logs its link once the server listens.
/// </summary>
internal sealed partial class AccountsBootstrap(
    IAccountStore accounts,
    FirstOperatorSetup setup,
    IOptions<CustomLabelsOptions> options,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<AccountsBootstrap> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var initial = options.Value.InitialOperator;
        var configured = !string.IsNullOrWhiteSpace(initial.UserName) || !string.IsNullOrEmpty(initial.Password);
        if (configured)
        {
            if (string.IsNullOrWhiteSpace(initial.UserName) || string.IsNullOrEmpty(initial.Password))
            {
                throw new OptionsValidationException(
                    CustomLabelsOptions.SectionName,
                    typeof(InitialOperatorOptions),
                    ["CustomLabels:InitialOperator needs both UserName and Password."]);
            }

            var created = await accounts.CreateFirstOperatorAsync(initial.UserName, initial.Password, "configuration", cancellationToken);
            if (created is not null)
            {
                LogInitialOperatorCreated(logger, created.UserName);
            }

            return;
        }

        if (await accounts.AnyUserAsync(cancellationToken))
        {
            return;
        }

        var token = setup.Open();
        lifetime.ApplicationStarted.Register(() => LogSetupLink(logger, $"{BaseUrl()}{AuthenticationSetup.SetupPath}?token={token}"));
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private string BaseUrl()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? CustomLabelsWebApp.DefaultUrl;
        return address.Replace("://+", "://localhost", StringComparison.Ordinal)
            .Replace("://*", "://localhost", StringComparison.Ordinal)
            .Replace("://0.0.0.0", "://localhost", StringComparison.Ordinal)
            .Replace("://[::]", "://localhost", StringComparison.Ordinal)
            .TrimEnd('/');
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the first operator '{UserName}' from configuration")]
    private static partial void LogInitialOperatorCreated(ILogger logger, string userName);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No operator exists yet. Create the first one, once, at {SetupUrl}")]
    private static partial void LogSetupLink(ILogger logger, string setupUrl);
}
