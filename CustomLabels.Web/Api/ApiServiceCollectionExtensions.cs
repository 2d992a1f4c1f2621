using System.Text.Json;
using System.Text.Json.Serialization;
using CustomLabels.Web.Api.Accounts;
using CustomLabels.Web.Api.Detection;
using CustomLabels.Web.Api.Executions;
using CustomLabels.Web.Api.Health;
using CustomLabels.Web.Api.HumanLoops;
using CustomLabels.Web.Api.Parameters;
using CustomLabels.Web.Api.Problems;
using CustomLabels.Web.Api.ProjectVersions;
using CustomLabels.Web.Api.Rejected;
using CustomLabels.Web.Api.Samples;
using CustomLabels.Web.Api.TrainingImages;
using CustomLabels.Web.Authentication;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace CustomLabels.Web.Api;

/// <summary>The HTTP API: its options, problem details, OpenAPI document, health checks and endpoints.</summary>
public static class ApiServiceCollectionExtensions
{
    /// <summary>Adds what the API needs. Core's adapters come from <c>AddCustomLabelsCore</c>.</summary>
    public static WebApplicationBuilder AddCustomLabelsApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<ApiOptions>()
            .BindConfiguration(ApiOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // The request limit is the upload limit; Kestrel refuses a longer body before it is read.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<ApiOptions>>((kestrel, api) =>
            kestrel.Limits.MaxRequestBodySize = api.Value.MaxUploadBytes);
        services.AddOptions<FormOptions>().Configure<IOptions<ApiOptions>>((form, api) =>
            form.MultipartBodyLengthLimit = api.Value.MaxUploadBytes);

        services.ConfigureHttpJsonOptions(options =>
        {
            options.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            options.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
            {
                StatusCodes.Status401Unauthorized => "Sign in, or send an API key in the X-Api-Key header.",
                StatusCodes.Status403Forbidden => "Your role does not allow this.",
                StatusCodes.Status404NotFound => "Nothing is at this address.",
                StatusCodes.Status405MethodNotAllowed => "This address does not take this method.",
                _ => null,
            };
        });
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            // Every endpoint takes an API key (or the dashboard's sign-in cookie).
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[AuthenticationSetup.ApiKeyScheme] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = AuthenticationSetup.ApiKeyHeader,
                Description = "An API key, created by an operator with POST /api/keys.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AuthenticationSetup.ApiKeyScheme, document)] = [] }];
            return Task.CompletedTask;
        }));
        services.AddSingleton<TrainingImageUploader>();
        services.AddSingleton<SampleImages>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        return builder;
    }

    /// <summary>Writes every failure as problem details: thrown exceptions, and empty 4xx/5xx answers (401, 403, 404, ...).</summary>
    public static WebApplication UseCustomLabelsApiErrors(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

    /// <summary>Maps the endpoints under <c>/api</c>, the OpenAPI document and <c>/health</c>.</summary>
    public static WebApplication MapCustomLabelsApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // API calls carry a key or the SameSite sign-in cookie; forms posted from other sites cannot reach them.
        var api = app.MapGroup("/api")
            .DisableAntiforgery()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);

        DetectEndpoints.Map(api);
        TrainingImagesEndpoints.Map(api);
        RejectedImagesEndpoints.Map(api);
        SamplesEndpoints.Map(api);
        ExecutionsEndpoints.Map(api);
        ProjectVersionsEndpoints.Map(api);
        ParametersEndpoints.Map(api);
        HumanLoopsEndpoints.Map(api);
        AccountsEndpoints.Map(api);

        app.MapOpenApi();
        HealthEndpoints.Map(app);
        return app;
    }

    /// <summary>The JSON options of the API, for code that writes JSON by hand.</summary>
    internal static JsonSerializerOptions JsonOptions(this HttpContext context) =>
        context.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
}
