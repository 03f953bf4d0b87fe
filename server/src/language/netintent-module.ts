/**
 * The netintent language services: one `createNetintentServices`, used by the language
 * server, the CLI and the tests alike.
 */
import { inject, type Module } from 'langium';
import { createDefaultModule, createDefaultSharedModule, type DefaultSharedModuleContext, type LangiumServices, type LangiumSharedServices, type PartialLangiumServices, type PartialLangiumSharedServices } from 'langium/lsp';
import { NetintentCodeActionProvider, NetintentCompletionProvider, NetintentDocumentUpdateHandler, NetintentFormatter, NetintentRenameProvider, NetintentSemanticTokenProvider } from '../lsp/editing.js';
import { NetintentDefinitionProvider, NetintentReferencesProvider } from '../lsp/twin-navigation.js';
import { NetintentCodeLensProvider, NetintentHoverProvider } from '../lsp/verdicts-in-editor.js';
import { NetintentGeneratedModule, NetintentGeneratedSharedModule } from './generated/module.js';
import { IntentPrograms } from './intent-programs.js';
import { NetintentDocumentValidator, NetintentLinker } from './netintent-linking.js';
import { NetintentScopeProvider } from './netintent-scope.js';
import { NetintentParserErrorMessages } from './parser-messages.js';
import { NetintentLexer, NetintentTokenBuilder } from './netintent-lexer.js';
import { createNetintentCompletionParser, createNetintentParser } from './netintent-parser.js';
import { NetintentValidator, registerValidationChecks } from './netintent-validator.js';
import { TwinWorkspace } from './twin-workspace.js';
import { withSafeFiles } from './safe-file-system.js';
import { VerificationScheduler } from '../lsp/verification.js';

export interface NetintentSharedAddedServices {
    twin: {
        TwinWorkspace: TwinWorkspace;
    };
}

export type NetintentSharedServices = LangiumSharedServices & NetintentSharedAddedServices;

export interface NetintentAddedServices {
    validation: {
        NetintentValidator: NetintentValidator;
    };
    intent: {
        IntentPrograms: IntentPrograms;
    };
}

/** Services of the language server only, created when it first asks for them. */
export interface NetintentEditorServices {
    editor: {
        Verification: VerificationScheduler;
    };
}

export type NetintentServices = LangiumServices & NetintentAddedServices & NetintentEditorServices & { shared: NetintentSharedServices };

export const NetintentSharedModule: Module<NetintentSharedServices, NetintentSharedAddedServices & PartialLangiumSharedServices> = {
    twin: {
        TwinWorkspace: shared => new TwinWorkspace(shared)
    },
    lsp: {
        DocumentUpdateHandler: shared => new NetintentDocumentUpdateHandler(shared)
    }
};

export const NetintentModule: Module<NetintentServices, PartialLangiumServices & NetintentAddedServices & NetintentEditorServices> = {
    parser: {
        ParserErrorMessageProvider: services => new NetintentParserErrorMessages(services),
        TokenBuilder: () => new NetintentTokenBuilder(),
        Lexer: services => new NetintentLexer(services),
        LangiumParser: services => createNetintentParser(services),
        CompletionParser: services => createNetintentCompletionParser(services)
    },
    lsp: {
        DefinitionProvider: services => new NetintentDefinitionProvider(services),
        ReferencesProvider: services => new NetintentReferencesProvider(services),
        HoverProvider: services => new NetintentHoverProvider(services),
        CodeLensProvider: services => new NetintentCodeLensProvider(services),
        CodeActionProvider: () => new NetintentCodeActionProvider(),
        CompletionProvider: services => new NetintentCompletionProvider(services),
        SemanticTokenProvider: services => new NetintentSemanticTokenProvider(services),
        Formatter: () => new NetintentFormatter(),
        RenameProvider: services => new NetintentRenameProvider(services)
    },
    references: {
        ScopeProvider: services => new NetintentScopeProvider(services),
        Linker: services => new NetintentLinker(services)
    },
    validation: {
        NetintentValidator: services => new NetintentValidator(services),
        DocumentValidator: services => new NetintentDocumentValidator(services)
    },
    intent: {
        IntentPrograms: services => new IntentPrograms(services)
    },
    editor: {
        Verification: services => new VerificationScheduler(services)
    }
};

export function createNetintentServices(context: DefaultSharedModuleContext): { shared: NetintentSharedServices; Netintent: NetintentServices } {
    const shared = inject(createDefaultSharedModule(withSafeFiles(context)), NetintentGeneratedSharedModule, NetintentSharedModule);
    const Netintent = inject(createDefaultModule({ shared }), NetintentGeneratedModule, NetintentModule);
    shared.ServiceRegistry.register(Netintent);
    registerValidationChecks(Netintent);
    if (!context.connection) {
        // Without a language client, nobody sends configuration: mark it as received.
        shared.workspace.ConfigurationProvider.initialized({});
    }
    return { shared, Netintent };
}
