using CustomLabels.Core.Parameters;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Mvc;

namespace CustomLabels.Web.Api.Parameters;

/// <summary>The operators' parameters: values with their ranges, changes and history.</summary>
internal static class ParametersEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        var parameters = api.MapGroup("/parameters").RequireAuthorization(Policies.Operator).WithTags("Parameters");
        parameters.MapGet("/", ListAsync).WithName("ListParameters").WithSummary("Every parameter with its value, range and default");
        parameters.MapGet("/{name}", GetAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("GetParameter");
        parameters.MapPut("/{name}", PutAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("PutParameter")
            .WithSummary("Changes a parameter; a value out of range is refused with the range, and nothing is written");
        parameters.MapGet("/{name}/history", HistoryAsync)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .WithName("GetParameterHistory")
            .WithSummary("Every change of a parameter, newest first: who, when, old and new value");
    }

    private static async Task<IReadOnlyList<ParameterResponse>> ListAsync([FromServices] IParameterStore store, CancellationToken cancellationToken) =>
        [.. (await store.GetAllAsync(cancellationToken)).Where(v => ParameterCatalog.Contains(v.Name)).Select(ParameterResponse.From)];

    private static async Task<ParameterResponse> GetAsync([FromServices] IParameterStore store, string name, CancellationToken cancellationToken) =>
        ParameterResponse.From(await store.GetAsync(name, cancellationToken));

    private static async Task<ParameterResponse> PutAsync(
        [FromServices] IParameterStore store,
        HttpContext context,
        string name,
        [FromBody] ParameterPutRequest? request,
        CancellationToken cancellationToken)
    {
        var definition = ParameterCatalog.Get(name);
        if (definition.Group == ParameterGroup.System)
        {
            throw ApiProblemException.BadRequest($"{name} is kept by the pipeline itself and cannot be changed through the API.");
        }

        if (request?.Value is null)
        {
            throw ApiProblemException.BadRequest($"Send the new value as {{\"value\": \"...\"}}; {name} must be {definition.RangeText}.");
        }

        return ParameterResponse.From(await store.PutAsync(name, request.Value, context.User.CallerName(), cancellationToken));
    }

    private static Task<IReadOnlyList<ParameterChange>> HistoryAsync([FromServices] IParameterStore store, string name, CancellationToken cancellationToken)
    {
        ParameterCatalog.Get(name);
        return store.GetHistoryAsync(name, cancellationToken);
    }
}

/// <summary>The body of <c>PUT /api/parameters/{name}</c>: the value as a string, as in SSM.</summary>
public sealed record ParameterPutRequest(string? Value);

/// <summary>A parameter's value with its definition.</summary>
public sealed record ParameterResponse(
    string Name,
    string Value,
    long Version,
    DateTimeOffset? LastModified,
    ParameterType Type,
    ParameterGroup Group,
    string DefaultValue,
    string Range,
    double? Minimum,
    double? Maximum,
    string? Unit,
    string Description)
{
    public static ParameterResponse From(ParameterValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var d = ParameterCatalog.Get(value.Name);
        return new ParameterResponse(
            value.Name, value.Value, value.Version, value.LastModified, d.Type, d.Group, d.DefaultValue, d.RangeText, d.Minimum, d.Maximum, d.Unit, d.Description);
    }
}
