using Microsoft.Extensions.DependencyInjection;

namespace CustomLabels.Core.Models.Embedded;

/// <summary>Registers the embedded model.</summary>
internal static class ModelServiceCollectionExtensions
{
    /// <summary>
    /// Adds the embedded <see cref="ICustomLabelsModel"/> (ResNet18 on ONNX Runtime with a trained head), its options
    /// from <c>CustomLabels:Model</c> (validated at start), and the hosted service that reloads the running version.
    /// </summary>
    public static IServiceCollection AddEmbeddedModel(this IServiceCollection services)
    {
        services.AddOptions<ModelOptions>()
            .BindConfiguration(ModelOptions.SectionName)
            .ValidateDataAnnotations()
            .Validate(o => o.ValidationVariants <= o.TrainingVariants, "CustomLabels:Model:ValidationVariants must not exceed TrainingVariants.")
            .Validate(o => o.BackbonePath is null || File.Exists(o.BackbonePath), "CustomLabels:Model:BackbonePath names a file that does not exist.")
            .ValidateOnStart();
        services.AddSingleton<EmbeddedCustomLabelsModel>();
        services.AddSingleton<ICustomLabelsModel>(sp => sp.GetRequiredService<EmbeddedCustomLabelsModel>());
        services.AddHostedService(sp => sp.GetRequiredService<EmbeddedCustomLabelsModel>());
        return services;
    }
}
