using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace OrleansUws.Coordinator.Http;

/// <summary>The API's error answers: <c>application/problem+json</c> whose <c>errors</c> name the field or file at fault.</summary>
public static class ApiProblems
{
    /// <summary>400 naming <paramref name="field"/> (a body property, query parameter, route value or header).</summary>
    public static ValidationProblem BadField(string field, string detail) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [detail] }, detail: detail);

    /// <summary>An answer with <paramref name="status"/>; <paramref name="field"/>, when given, is named in <c>errors</c>.</summary>
    public static ProblemHttpResult Status(int status, string detail, string? field = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, extensions: field is null ? null : new Dictionary<string, object?>
        {
            ["errors"] = new Dictionary<string, string[]> { [field] = [detail] },
        });
}
