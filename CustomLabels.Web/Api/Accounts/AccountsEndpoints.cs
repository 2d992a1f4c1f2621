using System.Security.Claims;
using CustomLabels.Core.Accounts;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Accounts;

/// <summary>Who is calling; and, for operators, users and API keys.</summary>
internal static class AccountsEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/account", (ClaimsPrincipal user) => new CallerResponse(
                user.CallerName(),
                AccountRoles.Parse(user.FindFirstValue(ClaimTypes.Role)),
                user.Identity?.AuthenticationType ?? string.Empty))
            .WithTags("Accounts")
            .WithName("GetCaller")
            .WithSummary("Who is calling, and with which role");

        var keys = api.MapGroup("/keys").RequireAuthorization(Policies.Operator).WithTags("Accounts");
        keys.MapPost("/", async ([FromServices] IAccountStore accounts, ClaimsPrincipal user, [FromBody] CreateKeyRequest request, CancellationToken ct) =>
            {
                var created = await accounts.CreateApiKeyAsync(request.Name ?? string.Empty, AccountRoles.Parse(request.Role), user.CallerName(), ct);
                return TypedResults.Created($"/api/keys/{created.Info.Id}", new CreatedKeyResponse(created.Info, created.Key));
            })
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("CreateApiKey")
            .WithSummary("Creates an API key; the key is in this answer and nowhere else");
        keys.MapGet("/", ([FromServices] IAccountStore accounts, CancellationToken ct) => accounts.ListApiKeysAsync(ct))
            .WithName("ListApiKeys")
            .WithSummary("Every key, revoked ones included, without the keys themselves");
        keys.MapDelete("/{id}", async Task<ApiKeyInfo> ([FromServices] IAccountStore accounts, ClaimsPrincipal user, string id, CancellationToken ct) =>
                await accounts.RevokeApiKeyAsync(id, user.CallerName(), ct) ?? throw Problems.ApiProblemException.NotFound($"There is no API key '{id}'."))
            .ProducesProblem(StatusCodes.Status404NotFound)
            .WithName("RevokeApiKey")
            .WithSummary("Revokes a key; it is refused from then on");

        var users = api.MapGroup("/users").RequireAuthorization(Policies.Operator).WithTags("Accounts");
        users.MapPost("/", async ([FromServices] IAccountStore accounts, ClaimsPrincipal user, [FromBody] CreateUserRequest request, CancellationToken ct) =>
            {
                var created = await accounts.CreateUserAsync(
                    request.UserName ?? string.Empty, request.Password ?? string.Empty, AccountRoles.Parse(request.Role), user.CallerName(), ct);
                return TypedResults.Created($"/api/users/{Uri.EscapeDataString(created.UserName)}", created);
            })
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithName("CreateUser")
            .WithSummary("Creates a user with a role");
        users.MapGet("/", ([FromServices] IAccountStore accounts, CancellationToken ct) => accounts.ListUsersAsync(ct))
            .WithName("ListUsers");
    }
}

/// <summary>Who is calling.</summary>
public sealed record CallerResponse(string Name, AccountRole Role, string AuthenticatedBy);

/// <summary>A new key's name and role.</summary>
public sealed record CreateKeyRequest(string? Name, string? Role);

/// <summary>A new key: its description and the key itself, shown this once.</summary>
public sealed record CreatedKeyResponse(ApiKeyInfo Info, string Key);

/// <summary>A new user.</summary>
public sealed record CreateUserRequest(string? UserName, string? Password, string? Role);
